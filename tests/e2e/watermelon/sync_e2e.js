#!/usr/bin/env node
// A real WatermelonDB 0.28 client (LokiJS adapter, plain Node, no Babel) against a running
// Waypoint server: several reps' devices sync through /api/v1/sync/pull and /push.
//
// Run by tests/e2e/test_watermelon_sync.py, which arranges the data and starts the server:
//   WAYPOINT_E2E_BASE_URL   http://127.0.0.1:<port>
//   WAYPOINT_E2E_FIXTURE    JSON: password, people (login per role), lead ids, a free spot
//   WAYPOINT_E2E_REPORT     where to write the JSON report (stdout gets one line per scenario)
// Exit code 0 only when every scenario converged and WatermelonDB reported zero
// diagnostics (captured with useCustomDiagnosticErrorFunction and its logger).
'use strict'

const assert = require('node:assert/strict')
const fs = require('node:fs')
const { performance } = require('node:perf_hooks')

const { Database, Model, Q, appSchema, tableSchema } = require('@nozbe/watermelondb')
const LokiJSAdapter = require('@nozbe/watermelondb/adapters/lokijs').default
const { schemaMigrations } = require('@nozbe/watermelondb/Schema/migrations')
const { synchronize, hasUnsyncedChanges } = require('@nozbe/watermelondb/sync')
const {
  useCustomDiagnosticErrorFunction,
} = require('@nozbe/watermelondb/utils/common/diagnosticError')
const logger = require('@nozbe/watermelondb/utils/common/logger').default

const BASE = process.env.WAYPOINT_E2E_BASE_URL
const FIXTURE = JSON.parse(process.env.WAYPOINT_E2E_FIXTURE || '{}')
const REPORT_PATH = process.env.WAYPOINT_E2E_REPORT
const WATERMELON_VERSION = require('@nozbe/watermelondb/package.json').version

// ---------------------------------------------------------------------------------------------
// Diagnostics: every diagnosticError (logError and invariant go through it) and every warning
// or error WatermelonDB's logger prints. Only the adapter's own deprecation notes for the
// options the brief prescribes are expected, and only while the adapter is set up.
// ---------------------------------------------------------------------------------------------
const diagnostics = []
const loggerMessages = []
let phase = 'setup'
const EXPECTED_SETUP_WARNINGS = [/useIncrementalIndexedDB: false\} option is now deprecated/]

useCustomDiagnosticErrorFunction((message) => {
  diagnostics.push({ phase, message: String(message) })
  const error = new Error(message)
  error.name = 'Diagnostic error'
  return error
})

function text(messages) {
  return messages.map((m) => (m instanceof Error ? m.message : String(m))).join(' ')
}
for (const level of ['warn', 'error']) {
  logger[level] = (...messages) => {
    const message = text(messages)
    const expected = phase === 'setup' && EXPECTED_SETUP_WARNINGS.some((re) => re.test(message))
    loggerMessages.push({ phase, level, message, expected })
  }
}
logger.log = () => {} // Loki's "[Loki] Database loaded" chatter
logger.debug = () => {}

// ---------------------------------------------------------------------------------------------
// Schema: the raw record formats of app/sync/tables.py (times are epoch ms, ids strings), plus
// the columns only a device writes (the fix details and clocks of an offline check-in).
// ---------------------------------------------------------------------------------------------
const str = (name, extra = {}) => ({ name, type: 'string', isOptional: true, ...extra })
const num = (name, extra = {}) => ({ name, type: 'number', isOptional: true, ...extra })
const bool = (name) => ({ name, type: 'boolean', isOptional: true })
// WatermelonDB stamps these itself (Date.now() on create / update): numbers, never null
const stamp = (name) => ({ name, type: 'number' })

const schema = appSchema({
  version: 1,
  tables: [
    tableSchema({
      name: 'me',
      columns: [
        str('employee_number'),
        str('name'),
        str('role'),
        str('org_node_id'),
        str('timezone'),
        str('working_hours_json'),
      ],
    }),
    tableSchema({
      name: 'territories',
      columns: [str('org_node_id'), str('name'), str('geometry_json'), stamp('updated_at')],
    }),
    tableSchema({
      name: 'leads',
      columns: [
        { name: 'name', type: 'string' },
        str('contact_person'),
        str('phone'),
        str('address'),
        num('lat'),
        num('lon'),
        num('raw_lat'),
        num('raw_lon'),
        str('datum'),
        str('territory_id', { isIndexed: true }),
        str('org_node_id'),
        str('owner_id', { isIndexed: true }),
        str('stage'),
        num('claimed_at'),
        num('protected_until'),
        num('last_verified_at'),
        stamp('created_at'),
        stamp('updated_at'),
      ],
    }),
    tableSchema({
      name: 'visits',
      columns: [
        str('lead_id', { isIndexed: true }),
        str('device_id'),
        num('visited_at'),
        num('captured_at'),
        bool('captured_offline'),
        num('fix_lat'),
        num('fix_lon'),
        num('raw_lat'),
        num('raw_lon'),
        str('datum'),
        num('accuracy_m'),
        num('fix_time'),
        str('notes'),
        str('outcome'),
        str('next_step'),
        num('checked_out_at'),
        str('verdict'),
        num('score'),
        str('findings_json'),
        str('location_not_collected_reason'),
        stamp('updated_at'),
        // written by the device only (evidence of an offline check-in)
        str('fix_datum'),
        num('fix_accuracy_m'),
        str('fix_provider'),
        bool('fix_is_mock'),
        num('fix_satellites'),
        num('capture_elapsed_ms'),
        num('capture_boot_count'),
      ],
    }),
    tableSchema({
      name: 'visit_photos',
      columns: [
        str('visit_id', { isIndexed: true }),
        str('sha256'),
        str('source'),
        str('content_type'),
        num('width'),
        num('height'),
        num('exif_taken_at'),
        num('uploaded_at'),
      ],
    }),
    tableSchema({
      name: 'route_plans',
      columns: [
        str('plan_date'),
        str('status'),
        str('replaces_id'),
        str('plan_json'),
        stamp('created_at'),
        stamp('updated_at'),
      ],
    }),
  ],
})

// The columns the server sends per table (what a converged device must agree on).
const SERVER_COLUMNS = {
  me: ['employee_number', 'name', 'role', 'org_node_id', 'timezone', 'working_hours_json'],
  territories: ['org_node_id', 'name', 'geometry_json', 'updated_at'],
  leads: schema.tables.leads.columnArray.map((c) => c.name),
  visits: [
    'lead_id',
    'device_id',
    'visited_at',
    'captured_at',
    'captured_offline',
    'fix_lat',
    'fix_lon',
    'raw_lat',
    'raw_lon',
    'datum',
    'accuracy_m',
    'fix_time',
    'notes',
    'outcome',
    'next_step',
    'checked_out_at',
    'verdict',
    'score',
    'findings_json',
    'location_not_collected_reason',
    'updated_at',
  ],
  visit_photos: schema.tables.visit_photos.columnArray.map((c) => c.name),
  route_plans: schema.tables.route_plans.columnArray.map((c) => c.name),
}
const TABLES = Object.keys(SERVER_COLUMNS)

// Models without decorators: fields are read and written with _getRaw/_setRaw.
class Me extends Model {
  static table = 'me'
}
class Territory extends Model {
  static table = 'territories'
}
class Lead extends Model {
  static table = 'leads'
}
class Visit extends Model {
  static table = 'visits'
}
class VisitPhoto extends Model {
  static table = 'visit_photos'
}
class RoutePlan extends Model {
  static table = 'route_plans'
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------
async function http(method, path, { token, body, rawBody, expect } = {}) {
  const headers = { Accept: 'application/json' }
  if (token) headers.Authorization = `Bearer ${token}`
  let payload
  if (rawBody !== undefined) payload = rawBody
  else if (body !== undefined) payload = JSON.stringify(body)
  if (payload !== undefined) headers['Content-Type'] = 'application/json'
  const response = await fetch(BASE + path, { method, headers, body: payload })
  const content = await response.text()
  let data = null
  try {
    data = content ? JSON.parse(content) : null
  } catch {
    data = content
  }
  if (expect !== undefined && response.status !== expect) {
    throw new Error(`${method} ${path} -> ${response.status} (wanted ${expect}): ${content}`)
  }
  return { status: response.status, data, headers: response.headers, bytes: content.length }
}

async function login(loginName, deviceId) {
  const { data } = await http('POST', '/api/v1/auth/login', {
    body: {
      login: loginName,
      password: FIXTURE.password,
      device_id: deviceId,
      platform: 'android',
    },
    expect: 200,
  })
  return data.access_token
}

// ---------------------------------------------------------------------------------------------
// A device: its own in-memory WatermelonDB and its own device-bound token
// ---------------------------------------------------------------------------------------------
const BOOT_BASE_MS = 3 * 3600 * 1000 // the phone has been up three hours
const uptime = () => BOOT_BASE_MS + Math.round(performance.now())

class Device {
  constructor(name, person) {
    this.name = name
    this.person = person
    this.deviceId = `e2e-${name}`
    this.pulls = []
    this.pushes = []
    this.syncs = 0
  }

  async open() {
    const adapter = new LokiJSAdapter({
      schema,
      migrations: schemaMigrations({ migrations: [] }),
      dbName: this.deviceId,
      useWebWorker: false,
      useIncrementalIndexedDB: false,
      extraLokiOptions: { autosave: false },
    })
    this.db = new Database({
      adapter,
      modelClasses: [Me, Territory, Lead, Visit, VisitPhoto, RoutePlan],
    })
    await this.db.get('me').query().fetchCount() // waits for the adapter's setUp
    this.token = await login(this.person.login, this.deviceId)
    return this
  }

  async sync({ push = 'normal', pull = 'normal' } = {}) {
    this.syncs += 1
    const log = {}
    await synchronize({
      database: this.db,
      pullChanges: (args) => this.pull(args, pull),
      pushChanges: (args) => this.push(args, push),
      migrationsEnabledAtVersion: 1,
      log,
    })
    return log
  }

  // mode: 'normal'; 'lost' (the server answered, the answer never arrived)
  async pull({ lastPulledAt, schemaVersion, migration }, mode) {
    const query = new URLSearchParams({
      last_pulled_at: lastPulledAt == null ? 'null' : String(lastPulledAt),
      schema_version: String(schemaVersion),
      migration: migration == null ? 'null' : JSON.stringify(migration),
    })
    const response = await http('GET', `/api/v1/sync/pull?${query}`, {
      token: this.token,
      expect: 200,
    })
    const { changes, timestamp } = response.data
    assert.ok(
      Number.isSafeInteger(timestamp) && timestamp >= 1,
      `${this.name}: timestamp ${timestamp} is not a positive integer below 2^53`,
    )
    if (lastPulledAt != null) {
      assert.ok(timestamp >= lastPulledAt, `${this.name}: timestamp went back`)
    }
    const unknown = Object.keys(changes).filter((t) => !TABLES.includes(t))
    assert.deepEqual(unknown, [], `${this.name}: the server syncs tables this client lacks`)
    const counts = {}
    for (const [table, change] of Object.entries(changes)) {
      counts[table] = [change.created.length, change.updated.length, change.deleted.length]
      // "created" only for what the device lacks (the real client warns and, for records it
      // deleted locally, resurrects them otherwise)
      const createdIds = change.created.map((r) => r.id)
      if (createdIds.length && this.db.collections.map[table]) {
        const held = await this.db
          .get(table)
          .query(Q.where('id', Q.oneOf(createdIds)))
          .fetchIds()
        const deletedLocally = await this.db.adapter.getDeletedRecords(table)
        const clash = held.concat(deletedLocally.filter((id) => createdIds.includes(id)))
        assert.deepEqual(clash, [], `${this.name}: ${table} sent as created but held: ${clash}`)
      }
      for (const raw of [...change.created, ...change.updated]) {
        assert.equal(typeof raw.id, 'string', `${table} ids are strings`)
        assert.ok(!('_status' in raw) && !('_changed' in raw), `${table} raw has _status`)
      }
    }
    this.pulls.push({
      lastPulledAt,
      timestamp,
      strategy: response.data.experimentalStrategy || null,
      gzip: response.headers.get('content-encoding') === 'gzip',
      bytes: response.bytes,
      counts,
      lost: mode === 'lost' || undefined,
    })
    if (mode === 'lost') {
      const error = new Error('simulated lost pull response')
      error.simulated = true
      throw error
    }
    return response.data
  }

  // mode: 'normal'; 'lost' (the server commits, the answer never arrives); 'twice' (a network
  // layer retries the identical body after the first answer was dropped).
  async push({ changes, lastPulledAt }, mode) {
    // The upload clock is stamped on the request body only: the changes object itself must
    // stay identical to the records, or WatermelonDB will not mark them as synced.
    const now = Date.now()
    const body = {}
    for (const [table, change] of Object.entries(changes)) {
      body[table] = {
        created: change.created.map((raw) =>
          table === 'visits'
            ? {
                ...raw,
                upload_device_time: now,
                upload_elapsed_ms: uptime(),
                upload_boot_count: 1,
              }
            : raw,
        ),
        updated: change.updated,
        deleted: change.deleted,
      }
    }
    const rawBody = JSON.stringify(body)
    const path = `/api/v1/sync/push?last_pulled_at=${lastPulledAt}`
    const summary = {
      lastPulledAt,
      mode,
      counts: Object.fromEntries(
        Object.entries(changes).map(([t, c]) => [
          t,
          [c.created.length, c.updated.length, c.deleted.length],
        ]),
      ),
    }
    this.pushes.push(summary)
    if (this.beforePush) {
      const hook = this.beforePush
      this.beforePush = null
      await hook()
    }
    const first = await http('POST', path, { token: this.token, rawBody, expect: 200 })
    summary.response = first.data
    if (mode === 'lost') {
      const error = new Error('simulated lost response')
      error.simulated = true
      throw error
    }
    if (mode === 'twice') {
      const again = await http('POST', path, { token: this.token, rawBody, expect: 200 })
      assert.deepEqual(again.data, first.data, `${this.name}: an identical retry answers the same`)
      summary.retried = true
    }
    return first.data || {}
  }

  // --- local edits (what the app does offline) ---
  async create(table, values) {
    let record
    await this.db.write(async () => {
      record = await this.db.get(table).create((r) => {
        for (const [key, value] of Object.entries(values)) r._setRaw(key, value)
      })
    })
    return record.id
  }

  async update(table, id, values) {
    await this.db.write(async () => {
      const record = await this.db.get(table).find(id)
      await record.update((r) => {
        for (const [key, value] of Object.entries(values)) r._setRaw(key, value)
      })
    })
  }

  async markDeleted(table, id) {
    await this.db.write(async () => {
      const record = await this.db.get(table).find(id)
      await record.markAsDeleted()
    })
  }

  async find(table, id) {
    const records = await this.db
      .get(table)
      .query(Q.where('id', id))
      .fetch()
    return records.length ? { ...records[0]._raw } : null
  }

  async ids(table) {
    return (await this.db.get(table).query().fetchIds()).sort()
  }

  async dump() {
    const tables = {}
    for (const table of TABLES) {
      const records = await this.db.get(table).query().fetch()
      tables[table] = records.map((r) => {
        const out = { id: r.id, _status: r._raw._status, _changed: r._raw._changed }
        for (const column of SERVER_COLUMNS[table]) out[column] = r._getRaw(column)
        return out
      })
    }
    return tables
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers for the scenarios
// ---------------------------------------------------------------------------------------------
const report = {
  watermelondb: WATERMELON_VERSION,
  node: process.version,
  scenarios: [],
  devices: {},
  created: { leads: [], visits: [] },
  deleted: { leads: [] },
}

async function scenario(name, body) {
  phase = name
  const started = performance.now()
  const entry = { name, ok: false }
  report.scenarios.push(entry)
  const diagnosticsBefore = diagnostics.length
  await body(entry)
  entry.ms = Math.round(performance.now() - started)
  entry.diagnostics = diagnostics.length - diagnosticsBefore
  entry.ok = entry.diagnostics === 0
  const found = JSON.stringify(diagnostics.slice(diagnosticsBefore))
  assert.equal(entry.diagnostics, 0, `${name}: WatermelonDB diagnostics: ${found}`)
}

async function syncAll(...devices) {
  for (const device of devices) await device.sync()
}

async function lead(token, id) {
  return http('GET', `/api/v1/leads/${id}`, { token })
}

function sameLead(local, server, where) {
  for (const key of ['name', 'contact_person', 'phone', 'address', 'stage']) {
    assert.equal(local[key], server[key], `${where}: ${key} differs from the server`)
  }
  const owner = server.owner_id == null ? null : String(server.owner_id)
  assert.equal(local.owner_id, owner, `${where}: owner_id differs from the server`)
}

const WATERMELON_ID = /^[A-Za-z0-9]{16}$/

function offlineVisit(device, leadId, spot, notes) {
  const capturedAt = Date.now()
  return {
    lead_id: leadId,
    device_id: device.deviceId,
    captured_at: capturedAt,
    captured_offline: true,
    capture_elapsed_ms: uptime(),
    capture_boot_count: 1,
    fix_lat: spot.lat + 0.00005,
    fix_lon: spot.lon - 0.00004,
    fix_datum: 'wgs84',
    fix_accuracy_m: 8,
    fix_provider: 'gps',
    fix_is_mock: false,
    fix_satellites: 14,
    fix_time: capturedAt - 4000,
    notes,
    outcome: 'followed_up',
  }
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------
async function main() {
  assert.ok(BASE, 'WAYPOINT_E2E_BASE_URL is required')
  const { people, leads: L, spot } = FIXTURE
  const a1 = await new Device('rep-a-phone', people.rep_a).open()
  const a2 = await new Device('rep-a-tablet', people.rep_a).open()
  const b1 = await new Device('rep-b-phone', people.rep_b).open()
  const c1 = await new Device('rep-c-phone', people.rep_c).open()
  const devices = [a1, a2, b1, c1]
  const leadToken = await login(people.team_lead.login, 'e2e-team-lead-console')
  const setupMessages = loggerMessages.filter((m) => !m.expected)
  assert.deepEqual(setupMessages, [], 'unexpected WatermelonDB warnings while setting up')

  await scenario('first sync', async (entry) => {
    await syncAll(...devices)
    for (const device of devices) {
      const first = device.pulls[0]
      assert.equal(first.lastPulledAt, null)
      assert.equal(first.strategy, null)
      for (const [table, [, updated, deleted]] of Object.entries(first.counts)) {
        assert.equal(updated + deleted, 0, `${device.name}: a first pull only creates (${table})`)
      }
      assert.equal((await device.ids('me')).length, 1, `${device.name}: one 'me' record`)
      assert.ok((await device.ids('territories')).length >= 1, `${device.name}: territories`)
    }
    assert.ok(a1.pulls[0].gzip, 'a first pull of this size is gzipped (fetch accepts gzip)')
    const aLeads = await a1.ids('leads')
    assert.ok(aLeads.includes(L.own_a), 'A holds its own lead')
    assert.ok(aLeads.includes(L.shared), 'A holds the public lead of its territory')
    assert.ok(!aLeads.includes(L.own_b), "A does not hold B's lead")
    assert.ok(!aLeads.includes(L.other_team), "A does not hold another team's lead")
    assert.deepEqual(await a2.ids('leads'), aLeads, "A's two devices hold the same leads")
    assert.ok((await b1.ids('leads')).includes(L.shared), 'B holds the shared public lead')
    assert.ok(!(await c1.ids('leads')).includes(L.shared), 'C (other team) does not')
    const me = await a1.find('me', String(people.rep_a.staff_id))
    assert.equal(me.employee_number, people.rep_a.login)
    entry.leads_on_a = aLeads.length
    entry.first_pull_bytes = a1.pulls[0].bytes
  })

  await scenario('offline edits on both sides converge', async (entry) => {
    // the device edits name, address and contact person while offline...
    await a1.update('leads', L.own_a, {
      name: 'Golden Dragon Tea House (device)',
      address: '88 Device Road',
      contact_person: 'Ms Device',
    })
    // ...while the team lead changes the phone and the contact person on the server
    await http('PATCH', `/api/v1/leads/${L.own_a}`, {
      token: leadToken,
      body: { phone: '+86 21 5555 0101', contact_person: 'Mr Server' },
      expect: 200,
    })
    // the pull brings the server's row; WatermelonDB keeps the locally changed columns and
    // pushes them on top (the server sees no clash: the push follows that pull)
    const log = await a1.sync()
    assert.equal((log.resolvedConflicts || []).length, 1, 'resolved on the device')
    await a1.sync() // pull the server's merged row
    await a2.sync()
    const server = (await lead(a1.token, L.own_a)).data
    assert.equal(server.name, 'Golden Dragon Tea House (device)')
    assert.equal(server.address, '88 Device Road')
    assert.equal(server.phone, '+86 21 5555 0101', "the server's column survives the push")
    assert.equal(server.contact_person, 'Ms Device', 'the device edited it last')
    for (const device of [a1, a2]) {
      const local = await device.find('leads', L.own_a)
      assert.equal(local._status, 'synced')
      sameLead(local, server, device.name)
    }
  })

  await scenario('a server change between pull and push merges per column', async (entry) => {
    // The server row changes after the device pulled and before its push lands: the server
    // merges per column (contact person: later arrival; phone: untouched by the device;
    // stage: a won/lost server stage stands) and logs the clashes.
    await a1.update('leads', L.own_a2, { contact_person: 'Ms Offline', stage: 'contacted' })
    a1.beforePush = () =>
      http('PATCH', `/api/v1/leads/${L.own_a2}`, {
        token: leadToken,
        body: { contact_person: 'Mr Console', phone: '+86 21 5555 0202', stage: 'won' },
        expect: 200,
      })
    await a1.sync()
    const server = (await lead(a1.token, L.own_a2)).data
    assert.equal(server.contact_person, 'Ms Offline', 'free text: the later arrival wins')
    assert.equal(server.phone, '+86 21 5555 0202', 'a column only the server changed stays')
    assert.equal(server.stage, 'won', 'a won stage on the server stands')
    // the device pushed 'contacted' but the server kept 'won': the row was re-stamped, so
    // the next pull corrects the device
    await a1.sync()
    await a2.sync()
    for (const device of [a1, a2]) {
      const local = await device.find('leads', L.own_a2)
      assert.equal(local._status, 'synced')
      sameLead(local, server, device.name)
    }
    const conflicts = (
      await http('GET', '/api/v1/sync/conflicts', { token: a1.token, expect: 200 })
    ).data.filter((c) => c.record_id === L.own_a2)
    const byColumn = Object.fromEntries(conflicts.map((c) => [c.column, c]))
    assert.equal(byColumn.contact_person?.winner, 'client', 'contact person clash logged')
    assert.equal(byColumn.stage?.winner, 'server', 'stage clash logged')
    assert.ok(!byColumn.phone, 'no clash on a column the device did not change')
    entry.conflicts = conflicts.map((c) => `${c.column}:${c.winner}:${c.policy}`)
  })

  await scenario('create, sync, delete, sync does not resurrect', async (entry) => {
    const id = await a1.create('leads', {
      name: 'Harbour Noodle Bar 7Q',
      contact_person: 'Mr Created',
      phone: null,
      address: '1 New Lane',
      lat: spot.lat,
      lon: spot.lon,
      raw_lat: spot.lat,
      raw_lon: spot.lon,
      datum: 'wgs84',
      stage: 'new',
      created_at: Date.now(),
      updated_at: Date.now(),
    })
    assert.match(id, WATERMELON_ID)
    report.created.leads.push(id)
    await a1.sync()
    assert.equal((await a1.find('leads', id))._status, 'synced')
    assert.equal((await lead(a1.token, id)).status, 200, 'the server has the new lead')
    await a1.sync() // its echo comes back as an update, never as created
    await syncAll(a2, b1)
    assert.ok(await a2.find('leads', id), "A's second device got the new lead")
    assert.ok(await b1.find('leads', id), 'B sees the new public lead of the territory')

    await a1.markDeleted('leads', id)
    await a1.sync()
    assert.equal((await lead(a1.token, id)).status, 404, 'deleted on the server')
    report.deleted.leads.push(id)
    await a1.sync()
    await a1.sync()
    assert.equal(await a1.find('leads', id), null, 'not resurrected on the deleting device')
    await syncAll(a2, b1)
    assert.equal(await a2.find('leads', id), null, "gone from A's second device")
    assert.equal(await b1.find('leads', id), null, "gone from B's device")
    await syncAll(a1, a2, b1)
    for (const device of [a1, a2, b1]) {
      assert.equal(await device.find('leads', id), null, `${device.name}: stays deleted`)
    }
    entry.lead = id
  })

  await scenario('offline visit is assessed and its verdict comes back', async (entry) => {
    const leadRaw = await a1.find('leads', L.own_a)
    const id = await a1.create(
      'visits',
      offlineVisit(a1, L.own_a, { lat: leadRaw.lat, lon: leadRaw.lon }, 'Met the owner.'),
    )
    report.created.visits.push(id)
    await a1.sync()
    const afterPush = await a1.find('visits', id)
    assert.equal(afterPush._status, 'synced')
    const server = (await http('GET', `/api/v1/visits/${id}`, { token: a1.token, expect: 200 }))
      .data
    assert.ok(['verified', 'unverified', 'suspicious', 'rejected'].includes(server.verdict))
    await a1.sync()
    const local = await a1.find('visits', id)
    assert.equal(local.verdict, server.verdict, 'the device got the verdict on its next pull')
    assert.equal(local.score, server.score)
    assert.equal(JSON.parse(local.findings_json).length, server.findings.length)
    assert.equal(local.captured_offline, true)
    await syncAll(a2, b1)
    const other = await a2.find('visits', id)
    assert.ok(other, "A's second device has the visit")
    assert.equal(other.verdict, server.verdict)
    assert.equal(await b1.find('visits', id), null, "B never sees A's visits")

    // check out offline on the other device, with a note; the first device follows
    const checkedOut = Date.now()
    await a2.update('visits', id, {
      checked_out_at: checkedOut,
      notes: 'Met the owner. Order next week.',
    })
    await a2.sync()
    await a1.sync()
    const closed = (await http('GET', `/api/v1/visits/${id}`, { token: a1.token, expect: 200 }))
      .data
    assert.equal(Date.parse(closed.checked_out_at), checkedOut, 'checked out on the server')
    assert.equal(closed.notes, 'Met the owner. Order next week.')
    const mirrored = await a1.find('visits', id)
    assert.equal(mirrored.checked_out_at, checkedOut)
    assert.equal(mirrored.notes, closed.notes)
    assert.equal(mirrored.verdict, closed.verdict)
    entry.visit = id
    entry.verdict = server.verdict
    entry.findings = JSON.parse(local.findings_json).map((f) => f.code || f.check || f)
  })

  await scenario('lost push response: the retry converges without duplicates', async (entry) => {
    const leadRaw = await a1.find('leads', L.own_a)
    const spotOfLead = { lat: leadRaw.lat, lon: leadRaw.lon }
    const v1 = await a1.create('visits', offlineVisit(a1, L.own_a, spotOfLead, 'Second call.'))
    await a1.update('leads', L.own_a, { stage: 'contacted' })
    report.created.visits.push(v1)
    await assert.rejects(a1.sync({ push: 'lost' }), /simulated lost response/)
    assert.equal((await a1.find('visits', v1))._status, 'created', 'still unsynced locally')
    await a1.sync() // pulls the echo of its own push, pushes again, gets the same answer
    await a1.sync()
    const local = await a1.find('visits', v1)
    assert.equal(local._status, 'synced')
    assert.equal((await a1.find('leads', L.own_a)).stage, 'contacted')

    // the identical body sent twice by a retrying network layer
    const v2 = await a1.create('visits', offlineVisit(a1, L.own_a, spotOfLead, 'Third call.'))
    report.created.visits.push(v2)
    await a1.sync({ push: 'twice' })
    await a1.sync()
    await a2.sync()
    const mine = (
      await http('GET', `/api/v1/visits?lead_id=${L.own_a}&limit=100`, {
        token: a1.token,
        expect: 200,
      })
    ).data
    const serverIds = mine.items.map((v) => v.id).sort()
    const created = [...report.created.visits].sort()
    assert.deepEqual(serverIds, created, 'one server visit per device visit')
    for (const device of [a1, a2]) {
      assert.deepEqual(await device.ids('visits'), serverIds, `${device.name}: same visits`)
    }
    for (const visit of mine.items) {
      const local = await a1.find('visits', visit.id)
      assert.equal(local.verdict, visit.verdict, `${visit.id}: verdict converged`)
    }
    const retried = a1.pushes.filter((p) => p.mode === 'twice')
    assert.equal(retried.length, 1)
    entry.visits = serverIds
  })

  await scenario('lost pull response: the next pull resends it', async (entry) => {
    const leadRaw = await a1.find('leads', L.own_a)
    const v = await a1.create(
      'visits',
      offlineVisit(a1, L.own_a, { lat: leadRaw.lat, lon: leadRaw.lon }, 'Fourth call.'),
    )
    report.created.visits.push(v)
    await a1.sync()
    await assert.rejects(a2.sync({ pull: 'lost' }), /simulated lost pull response/)
    assert.equal(await a2.find('visits', v), null)
    await a2.sync() // the old cursor again: the visit comes as created, nothing is missed
    const last = a2.pulls[a2.pulls.length - 1]
    assert.equal(last.counts.visits[0], 1, 'resent as created')
    assert.equal((await a2.find('visits', v))._status, 'synced')
    entry.visit = v
  })

  await scenario('an unbound device that logs in again keeps syncing', async (entry) => {
    const leadRaw = await a1.find('leads', L.own_a)
    const v = await a1.create(
      'visits',
      offlineVisit(a1, L.own_a, { lat: leadRaw.lat, lon: leadRaw.lon }, 'Fifth call.'),
    )
    report.created.visits.push(v)
    await a1.sync()
    await http('DELETE', `/api/v1/staff/${people.rep_a.staff_id}/devices/${a2.deviceId}`, {
      token: leadToken,
      expect: 204,
    })
    await assert.rejects(a2.sync(), /401/, 'the unbound binding cannot sync')
    a2.token = await login(people.rep_a.login, a2.deviceId) // a new binding, same local data
    await a2.sync()
    const last = a2.pulls[a2.pulls.length - 1]
    assert.equal(last.strategy, null, 'an incremental pull: the holdings carried over')
    assert.equal(last.counts.visits[0], 1, 'the visit it lacks comes as created')
    assert.equal((await a2.find('visits', v))._status, 'synced')
    await a2.sync()
  })

  await scenario('a lead claimed by A leaves B\u2019s device', async (entry) => {
    assert.ok(await b1.find('leads', L.shared), 'B holds the shared lead before the claim')
    await http('POST', `/api/v1/leads/${L.shared}/claim`, { token: a1.token, expect: 200 })
    await b1.sync()
    assert.equal(await b1.find('leads', L.shared), null, 'it left B\u2019s scope: deleted on B')
    const lastPull = b1.pulls[b1.pulls.length - 1]
    assert.equal(lastPull.counts.leads[2], 1, 'sent to B as deleted')
    await syncAll(a1, a2, b1)
    for (const device of [a1, a2]) {
      const local = await device.find('leads', L.shared)
      assert.equal(local.owner_id, String(people.rep_a.staff_id), `${device.name}: A owns it`)
    }
    assert.equal(await b1.find('leads', L.shared), null, 'B does not get it back')
    entry.lead = L.shared
  })

  await scenario('an offline claim that lost the race is refused and undone', async (entry) => {
    // B claims a public lead offline; A claims it on the server after B's pull and before
    // B's push. B's claim loses by the pool rules (logged for B and the team lead); B's next
    // pull removes the lead (it left B's scope).
    await b1.update('leads', L.race, { owner_id: String(people.rep_b.staff_id) })
    b1.beforePush = () =>
      http('POST', `/api/v1/leads/${L.race}/claim`, { token: a1.token, expect: 200 })
    await b1.sync()
    const answer = b1.pushes[b1.pushes.length - 1].response
    const rejected = (answer.experimentalRejectedIds || {}).leads || []
    const conflicts = (
      await http('GET', '/api/v1/sync/conflicts', { token: b1.token, expect: 200 })
    ).data.filter((c) => c.record_id === L.race)
    const rejections = (
      await http('GET', '/api/v1/sync/rejections', { token: b1.token, expect: 200 })
    ).data.filter((r) => r.record_id === L.race)
    assert.deepEqual(rejected, [], 'not refused: it lost by the pool rules')
    assert.deepEqual(rejections, [])
    assert.equal(conflicts.length, 1, 'the lost claim is in the conflict log')
    assert.equal(conflicts[0].column, 'owner_id')
    assert.equal(conflicts[0].winner, 'server')
    assert.equal(conflicts[0].policy, 'pool_rules:already_claimed')
    await b1.sync()
    assert.equal(await b1.find('leads', L.race), null, 'gone from B')
    await syncAll(a1, a2)
    assert.equal((await a1.find('leads', L.race)).owner_id, String(people.rep_a.staff_id))
    const server = (await lead(a1.token, L.race)).data
    assert.equal(server.owner_id, people.rep_a.staff_id, 'A owns it')
    entry.conflicts = conflicts.map((c) => `${c.column}:${c.winner}:${c.policy}`)
  })

  await scenario('final sync: nothing pending, nothing left over', async () => {
    await syncAll(...devices)
    await syncAll(...devices)
    for (const device of devices) {
      assert.equal(await hasUnsyncedChanges({ database: device.db }), false, device.name)
      const last = device.pulls[device.pulls.length - 1]
      const moved = Object.values(last.counts).flat().reduce((x, y) => x + y, 0)
      assert.equal(moved, 0, `${device.name}: a second idle pull is empty`)
    }
  })

  phase = 'report'
  for (const device of devices) {
    report.devices[device.name] = {
      staff_id: device.person.staff_id,
      device_id: device.deviceId,
      syncs: device.syncs,
      pulls: device.pulls,
      pushes: device.pushes,
      tables: await device.dump(),
    }
  }
}

main()
  .then(() => {
    report.ok = diagnostics.length === 0 && loggerMessages.every((m) => m.expected)
    if (!report.ok) {
      const unexpected = loggerMessages.filter((m) => !m.expected)
      report.error = `WatermelonDB reported diagnostics or warnings: ${JSON.stringify([
        ...diagnostics,
        ...unexpected,
      ])}`
    }
  })
  .catch((error) => {
    report.ok = false
    report.error = error && error.stack ? error.stack : String(error)
  })
  .finally(() => {
    report.diagnostics = diagnostics
    report.logger = loggerMessages
    const json = JSON.stringify(report, null, 1)
    if (REPORT_PATH) fs.writeFileSync(REPORT_PATH, json)
    const summary = report.scenarios.map((s) => `${s.ok ? 'ok  ' : 'FAIL'} ${s.name} (${s.ms} ms)`)
    process.stdout.write(`${summary.join('\n')}\n`)
    if (!report.ok) process.stderr.write(`${report.error}\n`)
    process.exit(report.ok ? 0 : 1)
  })
