/* Waypoint visit map for team leads.
 *
 * Everything goes through /api/v1 with a bearer token: log in (employee number, password and
 * this browser's device id), then read /visits/map (GeoJSON) and /visits/suspicious, and
 * POST reviews. Tokens live in sessionStorage (gone when the tab closes); the device id in
 * localStorage, so the browser keeps its one device slot. Text from the API is only ever
 * set with textContent, never parsed as HTML.
 */
(function () {
  'use strict';

  var body = document.body;
  var API = body.dataset.api || '/api/v1';
  var CONFIG = {
    tileUrl: body.dataset.tileUrl || '',
    tileDatum: body.dataset.tileDatum || 'wgs84',
    tileAttribution: body.dataset.tileAttribution || ''
  };
  var COLORS = {
    verified: '#2b9348',
    unverified: '#8d949e',
    suspicious: '#f08c00',
    rejected: '#d62828'
  };
  var TRACK_COLORS = ['#3a86ff', '#8338ec', '#ff006e', '#06a77d', '#fb5607', '#3d5a80'];
  var TOKENS_KEY = 'waypoint.map.tokens';
  var DEVICE_KEY = 'waypoint.map.device_id';

  // --- small helpers --------------------------------------------------------------------------

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === 'text') node.textContent = attrs[key];
      else if (key === 'className') node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function storage(kind) {
    try {
      var store = window[kind];
      store.setItem('waypoint.probe', '1');
      store.removeItem('waypoint.probe');
      return store;
    } catch (e) {  // storage disabled: keep things in memory for this page only
      var memory = {};
      return {
        getItem: function (k) { return k in memory ? memory[k] : null; },
        setItem: function (k, v) { memory[k] = String(v); },
        removeItem: function (k) { delete memory[k]; }
      };
    }
  }
  var local = storage('localStorage');
  var session = storage('sessionStorage');

  function randomHex(bytes) {
    var values = new Uint8Array(bytes);
    window.crypto.getRandomValues(values);
    return Array.prototype.map.call(values, function (b) {
      return ('0' + b.toString(16)).slice(-2);
    }).join('');
  }

  function deviceId() {
    var id = local.getItem(DEVICE_KEY);
    if (!id) {
      id = 'web-' + randomHex(12);
      local.setItem(DEVICE_KEY, id);
    }
    return id;
  }

  function formatTime(iso) {
    if (!iso) return '—';
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString();
  }

  /* A problem+json body as one readable line (detail, then the per-field messages). */
  function describeProblem(status, problem) {
    if (!problem) return 'Request failed (' + status + ').';
    var parts = [problem.detail || problem.title || 'Request failed (' + status + ').'];
    var errors = problem.errors || {};
    Object.keys(errors).forEach(function (location) {
      var fields = errors[location] || {};
      Object.keys(fields).forEach(function (field) {
        parts.push(field + ': ' + [].concat(fields[field]).join(' '));
      });
    });
    return parts.join(' ');
  }

  function ApiError(status, problem) {
    this.status = status;
    this.problem = problem;
    this.message = describeProblem(status, problem);
  }

  function showMessage(text, isError) {
    var box = $('message');
    box.textContent = text;
    box.className = 'message' + (isError ? ' error' : '');
    box.hidden = !text;
  }

  // --- tokens and requests ---------------------------------------------------------------------

  var tokens = null;
  var refreshing = null;
  var refreshTimer = null;

  function loadTokens() {
    try { return JSON.parse(session.getItem(TOKENS_KEY) || 'null'); } catch (e) { return null; }
  }

  function saveTokens(pair) {
    tokens = pair;
    if (pair) session.setItem(TOKENS_KEY, JSON.stringify(pair));
    else session.removeItem(TOKENS_KEY);
    clearTimeout(refreshTimer);
    if (pair && pair.expires_in) {
      // Renew a while before the access token expires, so a quiet page stays signed in.
      var delay = Math.max(10, pair.expires_in * 0.8) * 1000;
      refreshTimer = setTimeout(function () { refresh(pair); }, delay);
    }
  }

  function send(path, options) {
    var headers = { Accept: 'application/json' };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (options.auth !== false && tokens) headers.Authorization = 'Bearer ' + tokens.access_token;
    return fetch(API + path, {
      method: options.method || 'GET',
      headers: headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
      credentials: 'omit'
    });
  }

  async function parse(response) {
    if (response.status === 204) return null;
    try { return await response.json(); } catch (e) { return null; }
  }

  /* One refresh at a time: a refresh token works once, and a second use revokes the session. */
  function refresh(stale) {
    if (!refreshing) {
      refreshing = (async function () {
        if (!tokens) return false;
        if (stale && tokens.access_token !== stale.access_token) return true;  // already renewed
        var response = await send('/auth/refresh', {
          method: 'POST', auth: false, body: { refresh_token: tokens.refresh_token }
        });
        if (!response.ok) return false;
        saveTokens(await parse(response));
        return true;
      })().catch(function () { return false; }).finally(function () { refreshing = null; });
    }
    return refreshing;
  }

  async function api(path, options) {
    options = options || {};
    var used = tokens;
    var response = await send(path, options);
    if (response.status === 401 && used && options.auth !== false) {
      if (await refresh(used)) response = await send(path, options);
      if (response.status === 401) {
        signOut('Your session has ended. Please sign in again.');
        throw new ApiError(401, await parse(response));
      }
    }
    var data = await parse(response);
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  // --- sign in and out -------------------------------------------------------------------------

  var me = null;

  function showLogin(errorText) {
    $('app').hidden = true;
    $('login').hidden = false;
    var error = $('login-error');
    error.textContent = errorText || '';
    error.hidden = !errorText;
    $('login-name').focus();
  }

  function signOut(reason) {
    saveTokens(null);
    me = null;
    showLogin(reason);
  }

  async function onLogin(event) {
    event.preventDefault();
    var button = $('login-submit');
    button.disabled = true;
    try {
      var response = await send('/auth/login', {
        method: 'POST',
        auth: false,
        body: {
          login: $('login-name').value.trim(),
          password: $('login-password').value,
          device_id: deviceId(),
          platform: 'web'
        }
      });
      var data = await parse(response);
      if (!response.ok) throw new ApiError(response.status, data);
      saveTokens(data);
      $('login-password').value = '';
      await start();
    } catch (e) {
      showLogin(e.message || 'Sign-in failed.');
    } finally {
      button.disabled = false;
    }
  }

  async function onLogout() {
    try { await api('/auth/logout', { method: 'POST' }); } catch (e) { /* signed out anyway */ }
    signOut('');
  }

  // --- the map ---------------------------------------------------------------------------------

  var map = null;
  var layers = null;
  var markers = {};       // visit id -> circle marker
  var visitsById = {};    // visit id -> feature properties
  var reps = {};          // rep id -> name, every rep seen so far
  var fitted = false;

  function createMap() {
    map = L.map('map', { zoomControl: true, worldCopyJump: true }).setView([20, 0], 2);
    if (CONFIG.tileUrl) {
      L.tileLayer(CONFIG.tileUrl, { maxZoom: 19, attribution: CONFIG.tileAttribution }).addTo(map);
    } else {
      map.getContainer().classList.add('no-tiles');
    }
    layers = {
      territories: L.featureGroup().addTo(map),
      tracks: L.featureGroup().addTo(map),
      visits: L.featureGroup().addTo(map)
    };
    L.control.layers(null, {
      Territories: layers.territories, Tracks: layers.tracks, Visits: layers.visits
    }, { collapsed: false }).addTo(map);
    L.control.scale().addTo(map);
  }

  function trackColor(repId) { return TRACK_COLORS[repId % TRACK_COLORS.length]; }

  function popupFor(p) {
    var rows = [
      ['Verdict', p.verdict + (p.auto_verdict !== p.verdict ? ' (was ' + p.auto_verdict + ')' : '')],
      ['Score', String(p.score)],
      ['Rep', p.rep_name || ('#' + p.rep_id)],
      ['Customer', p.lead_name || p.lead_id],
      ['Visited', formatTime(p.visited_at)],
      ['Checked out', formatTime(p.checked_out_at)],
      ['Findings', (p.findings || []).join(', ') || 'none']
    ];
    var list = el('dl');
    rows.forEach(function (row) {
      list.appendChild(el('dt', { text: row[0] }));
      list.appendChild(el('dd', { text: row[1] }));
    });
    return el('div', { className: 'popup' }, [el('strong', { text: 'Visit ' + p.id }), list]);
  }

  function addVisit(feature) {
    var p = feature.properties;
    var c = feature.geometry.coordinates;
    var marker = L.circleMarker([c[1], c[0]], {
      radius: 7,
      weight: 2,
      color: '#ffffff',
      fillColor: COLORS[p.verdict] || COLORS.unverified,
      fillOpacity: 0.95,
      className: 'visit-marker verdict-' + p.verdict
    }).bindPopup(popupFor(p)).addTo(layers.visits);
    var path = marker.getElement();
    if (path) {
      path.setAttribute('data-visit-id', p.id);
      path.setAttribute('data-verdict', p.verdict);
    }
    markers[p.id] = marker;
    visitsById[p.id] = p;
  }

  function addTrack(feature) {
    var p = feature.properties;
    var latlngs = feature.geometry.coordinates.map(function (c) { return [c[1], c[0]]; });
    L.polyline(latlngs, {
      color: trackColor(p.rep_id), weight: 3, opacity: 0.75, dashArray: '6 6', className: 'track'
    }).bindTooltip((p.rep_name || '#' + p.rep_id) + ' · ' + p.day, { sticky: true })
      .addTo(layers.tracks);
  }

  function addTerritory(feature) {
    L.geoJSON(feature, {
      style: {
        color: '#3d5a80', weight: 2, fillOpacity: 0.04, className: 'territory', interactive: false
      }
    }).addTo(layers.territories);
  }

  function rememberReps(features) {
    features.forEach(function (f) {
      var p = f.properties;
      if (p.rep_id && (p.kind === 'visit' || p.kind === 'track')) reps[p.rep_id] = p.rep_name;
    });
    var select = $('filter-rep');
    var chosen = select.value;
    while (select.options.length > 1) select.remove(1);
    Object.keys(reps).sort(function (a, b) {
      return String(reps[a]).localeCompare(String(reps[b]));
    }).forEach(function (id) {
      select.appendChild(el('option', { value: id, text: reps[id] || ('#' + id) }));
    });
    select.value = chosen;
  }

  function query() {
    var params = new URLSearchParams();
    var day = $('filter-day').value;
    if (day) {  // the chosen day in this browser's time zone
      var start = new Date(day + 'T00:00:00');
      var end = new Date(start);
      end.setDate(end.getDate() + 1);
      params.set('from', start.toISOString());
      params.set('to', end.toISOString());
    }
    if ($('filter-rep').value) params.set('rep', $('filter-rep').value);
    if (CONFIG.tileDatum === 'gcj02') params.set('datum', 'gcj02');
    return params.toString();
  }

  async function loadMap() {
    var doc = await api('/visits/map?' + query());
    Object.keys(layers).forEach(function (key) { layers[key].clearLayers(); });
    markers = {};
    visitsById = {};
    var counts = { visit: 0, track: 0, territory: 0 };
    doc.features.forEach(function (feature) {
      var kind = feature.properties.kind;
      counts[kind] = (counts[kind] || 0) + 1;
      if (kind === 'territory') addTerritory(feature);
      else if (kind === 'track') addTrack(feature);
      else if (kind === 'visit') addVisit(feature);
    });
    rememberReps(doc.features);
    $('summary').textContent = counts.visit + ' visits · ' + counts.track + ' tracks · ' +
      counts.territory + ' territories' + (doc.truncated ? ' (more matched: narrow the filters)' : '');
    body.setAttribute('data-visit-count', String(counts.visit));
    fitToData();
  }

  function fitToData() {
    var bounds = layers.visits.getLayers().length ? layers.visits.getBounds() : null;
    if (!bounds && layers.territories.getLayers().length) bounds = layers.territories.getBounds();
    if (bounds && bounds.isValid() && !fitted) {
      map.fitBounds(bounds, { padding: [30, 30], maxZoom: 16 });
      fitted = true;
    }
  }

  // --- review queue ----------------------------------------------------------------------------

  function reviewItem(visit) {
    var known = visitsById[visit.id];
    var title = known && known.lead_name ? known.lead_name : 'Customer ' + visit.lead_id;
    var rep = reps[visit.rep_id] || 'Rep #' + visit.rep_id;
    var findings = el('ul', { className: 'findings' }, (visit.findings || []).map(function (f) {
      return el('li', {}, [
        el('span', { className: 'severity', text: f.severity + ' ' }),
        el('span', { text: f.message || f.code })
      ]);
    }));
    var comment = el('textarea', {
      placeholder: 'Comment (required)', maxlength: '1000', 'aria-label': 'Review comment'
    });
    var error = el('p', { className: 'error small' });
    error.hidden = true;
    var confirm = el('button', { type: 'button', className: 'confirm', text: 'Confirm: reject' });
    var overturn = el('button', {
      type: 'button', className: 'overturn', text: 'Overturn: verify'
    });
    var item = el('li', { 'data-visit-id': visit.id }, [
      el('div', { className: 'head' }, [
        el('span', { className: 'badge ' + visit.verdict, text: visit.verdict }),
        el('span', { className: 'title', text: title })
      ]),
      el('div', { className: 'muted small', text: rep + ' · ' + formatTime(visit.visited_at) +
        ' · score ' + visit.score }),
      findings, comment, el('div', { className: 'actions' }, [confirm, overturn]), error
    ]);
    item.querySelector('.head').addEventListener('click', function () { focusVisit(visit.id); });
    function decide(verdict) {
      return function () { review(visit.id, verdict, comment.value.trim(), [confirm, overturn], error); };
    }
    confirm.addEventListener('click', decide('rejected'));
    overturn.addEventListener('click', decide('verified'));
    return item;
  }

  async function loadSuspicious() {
    if (!me || (me.role !== 'team_lead' && me.role !== 'admin')) {
      $('review-panel').hidden = true;
      return;
    }
    $('review-panel').hidden = false;
    var visits = await api('/visits/suspicious');
    var rep = $('filter-rep').value;
    var shown = visits.filter(function (v) { return !rep || String(v.rep_id) === rep; });
    var list = $('suspicious-list');
    list.replaceChildren.apply(list, shown.map(reviewItem));
    $('suspicious-count').textContent = '(' + shown.length + ')';
    if (!shown.length) list.appendChild(el('li', { className: 'muted', text: 'Nothing to review.' }));
  }

  function focusVisit(id) {
    var marker = markers[id];
    if (!marker) {
      showMessage('This visit is not on the map for the chosen day and rep.', false);
      return;
    }
    map.setView(marker.getLatLng(), Math.max(map.getZoom(), 15));
    marker.openPopup();
  }

  async function review(id, verdict, comment, buttons, error) {
    if (comment.length < 3) {
      error.textContent = 'Write a comment (at least 3 characters) to record your decision.';
      error.hidden = false;
      return;
    }
    buttons.forEach(function (b) { b.disabled = true; });
    try {
      await api('/visits/' + encodeURIComponent(id) + '/review', {
        method: 'POST', body: { verdict: verdict, comment: comment }
      });
      showMessage('Visit ' + id + ' is now ' + verdict + '.', false);
      await refreshAll();
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      buttons.forEach(function (b) { b.disabled = false; });
    }
  }

  // --- start -----------------------------------------------------------------------------------

  async function refreshAll() {
    try {
      await loadMap();
      await loadSuspicious();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;  // back on the sign-in form
      showMessage(e.message || String(e), true);
    }
  }

  async function start() {
    me = await api('/me');
    $('who').textContent = me.name + ' (' + me.role.replace('_', ' ') + ')';
    $('login').hidden = true;
    $('app').hidden = false;
    if (!map) createMap();
    map.invalidateSize();
    await refreshAll();
  }

  function init() {
    if (typeof L === 'undefined') {
      body.textContent = 'Leaflet is not installed on the server: run script/bootstrap.';
      return;
    }
    $('login-form').addEventListener('submit', onLogin);
    $('logout').addEventListener('click', onLogout);
    $('reload').addEventListener('click', refreshAll);
    $('filter-day').addEventListener('change', function () { fitted = false; refreshAll(); });
    $('filter-rep').addEventListener('change', refreshAll);
    saveTokens(loadTokens());
    if (tokens) {
      start().catch(function (e) {
        if (!(e instanceof ApiError && e.status === 401)) showLogin(e.message);
      });
    } else {
      showLogin('');
    }
  }

  init();
}());
