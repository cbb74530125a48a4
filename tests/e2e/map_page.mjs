// Drives the team-lead map page in headless Chromium; run by tests/e2e/test_map_page.py.
//
// playwright-core from npm and Debian's /usr/bin/chromium: no browser download, nothing from
// the network but the app on 127.0.0.1. Input comes as one JSON argument; the result is one
// JSON line on stdout. A failed step exits 1 after a screenshot of the page (*-failed.png).
import { chromium } from 'playwright-core';

const input = JSON.parse(process.argv[2]);
const TIMEOUT = 15_000;
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function markerCount(page) {
  return page.locator('#map path.visit-marker').count();
}

async function waitForMarkers(page, expected) {
  await page.waitForFunction(
    (n) => document.querySelectorAll('#map path.visit-marker').length === n,
    expected,
    { timeout: TIMEOUT },
  ).catch(async () => {
    throw new Error(`expected ${expected} visit markers, saw ${await markerCount(page)}`);
  });
}

async function signIn(page, password) {
  await page.fill('#login-name', input.login);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
}

async function review(page, result) {
  // Markers: one per visible located visit, coloured by verdict.
  const suspect = page.locator(`#map path.visit-marker[data-visit-id="${input.suspiciousId}"]`);
  result.suspectFill = await suspect.getAttribute('fill');
  result.suspectVerdict = await suspect.getAttribute('data-verdict');

  // The review queue lists the suspicious visit with its findings' messages.
  const item = page.locator(`#suspicious-list li[data-visit-id="${input.suspiciousId}"]`);
  await item.waitFor({ timeout: TIMEOUT });
  result.findingText = await item.locator('.findings').innerText();
  result.queueBefore = await page.locator('#suspicious-list li[data-visit-id]').count();
  await page.screenshot({ path: input.screenshot, fullPage: true });

  // A dead access token is renewed once with the refresh token, without a new sign-in.
  await page.evaluate(() => {
    const pair = JSON.parse(sessionStorage.getItem('waypoint.map.tokens'));
    pair.access_token = `dead.${pair.access_token}`;
    sessionStorage.setItem('waypoint.map.tokens', JSON.stringify(pair));
  });
  const refreshed = page.waitForResponse(
    (r) => r.url().endsWith('/api/v1/auth/refresh') && r.status() === 200,
    { timeout: TIMEOUT },
  );
  await page.reload();
  await refreshed;
  await page.locator('#app').waitFor({ state: 'visible', timeout: TIMEOUT });
  await waitForMarkers(page, input.expectedMarkers);
  result.refreshed = true;

  // Filter by rep, then back to everyone.
  await page.selectOption('#filter-rep', String(input.otherRepId));
  await waitForMarkers(page, input.otherRepMarkers);
  await page.selectOption('#filter-rep', '');
  await waitForMarkers(page, input.expectedMarkers);

  // A review needs a comment; then overturn the suspicious visit.
  await item.locator('button.overturn').click();
  await item.locator('p.error').waitFor({ state: 'visible', timeout: TIMEOUT });
  await item.locator('textarea').fill(input.comment);
  await item.locator('button.overturn').click();
  await item.waitFor({ state: 'detached', timeout: TIMEOUT });
  await page.waitForFunction(
    (id) => {
      const path = document.querySelector(`#map path.visit-marker[data-visit-id="${id}"]`);
      return path && path.getAttribute('data-verdict') === 'verified';
    },
    input.suspiciousId,
    { timeout: TIMEOUT },
  );
  result.suspectFillAfter = await suspect.getAttribute('fill');
  result.message = await page.textContent('#message');
  result.queueAfter = await page.locator('#suspicious-list li[data-visit-id]').count();
  await page.screenshot({ path: input.screenshotAfter, fullPage: true });
}

async function run(page, problems, mapRequests) {
  const result = {};
  await page.goto(`${input.baseUrl}/map`);
  check(await page.locator('#login').isVisible(), 'the sign-in form is not shown');

  if (input.review) {
    // A wrong password is refused on the form, with the server's words.
    await signIn(page, 'not-the-password');
    await page.locator('#login-error').waitFor({ state: 'visible', timeout: TIMEOUT });
  }
  await signIn(page, input.password);
  await page.locator('#app').waitFor({ state: 'visible', timeout: TIMEOUT });
  result.deviceId = await page.evaluate(() => localStorage.getItem('waypoint.map.device_id'));
  result.tokensInSession = await page.evaluate(
    () => sessionStorage.getItem('waypoint.map.tokens') !== null,
  );

  await waitForMarkers(page, input.expectedMarkers);
  result.markers = await markerCount(page);
  result.tracks = await page.locator('#map path.track').count();
  result.territories = await page.locator('#map path.territory').count();
  result.summary = await page.textContent('#summary');
  result.tileImages = await page.locator('#map img.leaflet-tile').count();
  result.firstMarker = await page.evaluate(() => {
    const path = document.querySelector('#map path.visit-marker');
    return path ? path.getAttribute('data-visit-id') : null;
  });
  if (input.review) await review(page, result);
  else await page.screenshot({ path: input.screenshot, fullPage: true });
  result.mapRequests = mapRequests;
  result.problems = problems;
  return result;
}

const browser = await chromium.launch({
  executablePath: input.chromium,
  headless: true,
  args: ARGS,
  timeout: 60_000,
});
let code = 0;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(TIMEOUT);
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('requestfailed', (request) => {
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
  const mapRequests = [];
  page.on('request', (request) => {
    if (request.url().includes('/api/v1/visits/map')) mapRequests.push(request.url());
  });
  try {
    console.log(JSON.stringify(await run(page, problems, mapRequests)));
  } catch (error) {
    code = 1;
    const failed = input.screenshot.replace(/\.png$/, '-failed.png');
    await page.screenshot({ path: failed, fullPage: true }).catch(() => {});
    console.error(`map page check failed: ${error.message}`);
    console.error(`page problems: ${JSON.stringify(problems)}`);
  }
} finally {
  await browser.close();
}
process.exit(code);
