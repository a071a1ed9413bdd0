/**
 * lib.lua: helpers shared by the tq scripts. The loader (index.ts) puts this text in front of
 * every script body that declares `lib: true`, so each script stays one atomic EVALSHA.
 *
 * Conventions of every script using it:
 *   ARGV[1]  key base: prefix + hash tag, e.g. `tq:{tq}:`; every key is built from it
 *   ARGV[2]  the pub/sub channel that wakes waiters (`<prefix>events`)
 * Scripts declare in KEYS the fixed keys they touch (routing and documentation; all keys share
 * the base's hash tag, so per-job and per-queue keys built here live in the same slot).
 * Times are the Redis server's clock (TIME), in epoch milliseconds.
 */
export const LIB = String.raw`
local B = ARGV[1]
local CHANNEL = ARGV[2]

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function jkey(id) return B .. 'job:' .. id end

local LIVE = { waiting = true, scheduled = true, queued = true, active = true }
local FINAL = { succeeded = true, failed = true, cancelled = true, expired = true }

-- The fields scripts read to move a job; missing ones come back false. A script that needs more
-- builds its list once with with_fields() and passes it to load().
local FIELDS = { 'queue', 'state', 'seq', 'key', 'run_at', 'priority', 'expires_at', 'token', 'task', 'parent_id', 'attempt', 'workflow_id', 'next' }
local function with_fields(extra)
  local names = {}
  for i, f in ipairs(FIELDS) do names[i] = f end
  for _, f in ipairs(extra) do names[#names + 1] = f end
  return names
end
local function load(id, names)
  names = names or FIELDS
  local v = redis.call('HMGET', jkey(id), unpack(names))
  if not v[2] then return nil end
  local h = { id = id, set = {}, del = {} }
  for i, f in ipairs(names) do h[f] = v[i] end
  return h
end

-- A transition collects its field changes on h and writes them with one HDEL and one HSET
-- (HDEL first, so a field both dropped and set ends up set).
local function put(h, k, v) h.set[#h.set + 1] = k; h.set[#h.set + 1] = v end
local function drop(h, k) h.del[#h.del + 1] = k end
local function flush(h)
  if #h.del > 0 then redis.call('HDEL', jkey(h.id), unpack(h.del)) end
  if #h.set > 0 then redis.call('HSET', jkey(h.id), unpack(h.set)) end
  h.set, h.del = {}, {}
end

-- Job counts by state and queue live in one hash, <base>counts, field '<state>:<queue>'.
-- Transitions record their changes here; write_counts() applies them with one HINCRBY per
-- (state, queue) touched, so a batch of 500 claims writes two counters, not 1000 set entries.
-- Every script that changes a job's state calls write_counts() before it returns.
local deltas = {}
local function count(q, st, n)
  local f = st .. ':' .. q
  deltas[f] = (deltas[f] or 0) + n
end
local function write_counts()
  for f, n in pairs(deltas) do
    if n ~= 0 then redis.call('HINCRBY', B .. 'counts', f, n) end
  end
  deltas = {}
end

-- Records a job's new state (and moves it between counters).
local function set_state(h, to)
  if h.state then count(h.queue, h.state, -1) end
  count(h.queue, to, 1)
  put(h, 'state', to)
  h.state = to
end

-- Ready set member: score is -priority; equal scores sort by member, i.e. run_at then seq.
-- Fixed widths (16 + 1 + 16 + 1 = 34 chars) put the id at position 35. The member follows from
-- run_at and seq, so it is computed again where needed rather than stored on the job.
local function ready_member(id, run_at, seq)
  local r = tonumber(run_at) or 0
  if r < 0 then r = 0 end
  return string.format('%016d:%016d:', r, tonumber(seq)) .. id
end
local function to_ready(h, run_at)
  redis.call('ZADD', B .. 'ready:' .. h.queue, 0 - (tonumber(h.priority) or 0), ready_member(h.id, run_at, h.seq))
end

-- Takes a waiting job out of the ready, scheduled, waiting and expiring sets.
local function unwait(h)
  if h.state == 'waiting' then redis.call('ZREM', B .. 'waiting:' .. h.queue, h.id) end
  if h.state == 'queued' then redis.call('ZREM', B .. 'ready:' .. h.queue, ready_member(h.id, h.run_at, h.seq)) end
  if h.state == 'scheduled' then redis.call('ZREM', B .. 'scheduled:' .. h.queue, h.id) end
  if h.expires_at and (h.state == 'scheduled' or h.state == 'queued') then
    redis.call('ZREM', B .. 'expiring:' .. h.queue, h.id)
  end
end

-- Ends a job's lease bookkeeping (it leaves state active).
local function unlease(h)
  redis.call('ZREM', B .. 'leases', h.id)
  drop(h, 'lease_until')
end

-- Frees a unique key if this job holds it.
local function free_key(h)
  if h.key and h.key ~= '' and redis.call('HGET', B .. 'keys', h.key) == h.id then
    redis.call('HDEL', B .. 'keys', h.key)
  end
end

-- The live job holding a unique key, or nil (a stale entry is dropped).
local function key_holder(key)
  local holder = redis.call('HGET', B .. 'keys', key)
  if not holder then return nil end
  local st = redis.call('HGET', jkey(holder), 'state')
  if st and LIVE[st] then return holder end
  redis.call('HDEL', B .. 'keys', key)
  return nil
end

-- Puts a job (not waiting now) back to wait: 'queued' (ready set) or 'scheduled' (by run_at).
local function to_waiting(h, st, run_at)
  set_state(h, st)
  put(h, 'run_at', run_at)
  h.run_at = run_at
  if st == 'scheduled' then
    redis.call('ZADD', B .. 'scheduled:' .. h.queue, run_at, h.id)
  else
    to_ready(h, run_at)
  end
  if h.expires_at then redis.call('ZADD', B .. 'expiring:' .. h.queue, h.expires_at, h.id) end
end

-- Workflow steps that ended in this script, as { state, next (JSON ids) }: run_steps() (workflow
-- section below) releases the steps waiting for them before the script returns, so it happens in
-- the same atomic step.
local ended_steps = {}

-- Moves a job to a final state (the caller flushes).
local function finish(h, to, now)
  if h.workflow_id and h.next then ended_steps[#ended_steps + 1] = { to, h.next } end
  unwait(h)
  if h.state == 'active' then unlease(h) end
  set_state(h, to)
  put(h, 'finished_at', now)
  redis.call('ZADD', B .. 'finished:' .. to, now, h.id)
  free_key(h)
end

-- Cancels a job not started (with 'err' as its error, or none), or flags a running one for its
-- worker to abort; appends its id to 'cancelled' or 'aborting'. Other states are left alone.
local function cancel_job(h, now, err, cancelled, aborting)
  if h and (h.state == 'waiting' or h.state == 'queued' or h.state == 'scheduled') then
    finish(h, 'cancelled', now)
    if err then put(h, 'error', err) end
    flush(h)
    cancelled[#cancelled + 1] = h.id
  elseif h and h.state == 'active' then
    redis.call('HSET', jkey(h.id), 'cancel_requested', 1)
    aborting[#aborting + 1] = h.id
  end
end

-- Appends an error (JSON text) to the job's history and makes it the current one.
local function add_error(h, err)
  local errs = redis.call('HGET', jkey(h.id), 'errors')
  if not errs or errs == '' or errs == '[]' then
    errs = '[' .. err .. ']'
  else
    errs = string.sub(errs, 1, -2) .. ',' .. err .. ']'
  end
  put(h, 'error', err)
  put(h, 'errors', errs)
end

-- Inserts a job unless its id exists or its unique key is held by a live job. 'step' is a
-- workflow step as JSON ('' = none): { w = workflow id, d = depends_on JSON, n = next JSON,
-- i = input JSON ('' = none), f = rule, j = 1 for a join, y = delay ms, p = pending }.
-- Returns { id, 1 } when created, { existing id, 0 } otherwise.
local function insert_job(now, id, task, q, payload, priority, run_at, max_attempts, key, parent, expires_at, step)
  if key ~= '' then
    local holder = key_holder(key)
    if holder then return { holder, 0 } end
  end
  if redis.call('EXISTS', jkey(id)) == 1 then return { id, 0 } end
  local seq = redis.call('INCR', B .. 'seq')
  local h = { id = id, queue = q, state = false, seq = seq, priority = priority, expires_at = false, set = {}, del = {} }
  put(h, 'id', id); put(h, 'task', task); put(h, 'queue', q); put(h, 'payload', payload); put(h, 'priority', priority)
  put(h, 'attempt', 0); put(h, 'max_attempts', max_attempts); put(h, 'created_at', now); put(h, 'token', 0); put(h, 'seq', seq)
  if key ~= '' then
    put(h, 'key', key)
    redis.call('HSET', B .. 'keys', key, id)
  end
  if parent ~= '' then
    put(h, 'parent_id', parent)
    redis.call('ZADD', B .. 'children:' .. parent, seq, id)
  end
  if expires_at ~= '' then
    put(h, 'expires_at', expires_at)
    h.expires_at = expires_at
  end
  local waits = false
  if step and step ~= '' then
    local w = cjson.decode(step)
    put(h, 'workflow_id', w.w)
    if w.n ~= '' then put(h, 'next', w.n) end
    redis.call('ZADD', B .. 'workflow:' .. w.w, seq, id)
    if w.p > 0 then
      -- What only a step that waits needs: how to resolve it.
      waits = true
      put(h, 'depends_on', w.d); put(h, 'pending', w.p); put(h, 'dep_failed', 0); put(h, 'run_at', run_at)
      put(h, 'on_dep_failure', w.f)
      if w.i ~= '' then put(h, 'input', w.i) end
      if w.j == 1 then put(h, 'is_join', 1) end
      if w.y > 0 then put(h, 'delay_ms', w.y) end
      set_state(h, 'waiting')
      redis.call('ZADD', B .. 'waiting:' .. q, seq, id)
    end
  end
  if not waits then
    local st = 'queued'
    if tonumber(run_at) > now then st = 'scheduled' end
    to_waiting(h, st, run_at)
  end
  flush(h)
  redis.call('ZADD', B .. 'jobs', seq, id)
  redis.call('SADD', B .. 'queues', q)
  return { id, 1 }
end

-- Deletes a job and every index entry pointing at it. Returns 1 if it existed.
local function del_job(id)
  local h = load(id)
  redis.call('ZREM', B .. 'jobs', id)
  if not h then return 0 end
  unwait(h)
  if h.state == 'active' then redis.call('ZREM', B .. 'leases', id) end
  count(h.queue, h.state, -1)
  if FINAL[h.state] then redis.call('ZREM', B .. 'finished:' .. h.state, id) end
  redis.call('ZREM', B .. 'result-expiry', id)
  if h.parent_id then redis.call('ZREM', B .. 'children:' .. h.parent_id, id) end
  if h.workflow_id then redis.call('ZREM', B .. 'workflow:' .. h.workflow_id, id) end
  free_key(h)
  redis.call('DEL', jkey(id))
  return 1
end

-- ---- workflows: the rules of src/broker/workflow.ts, in Lua ------------------------------

local STEP_FIELDS = with_fields({ 'depends_on', 'input', 'on_dep_failure', 'is_join', 'delay_ms' })

-- The dependencies of a step, in order: { id, task, state, result, error } (false when absent).
local function dep_outcomes(depends_on)
  local out = {}
  for i, id in ipairs(cjson.decode(depends_on)) do
    local v = redis.call('HMGET', jkey(id), 'task', 'state', 'result', 'error')
    out[i] = { id = id, task = v[1] or '', state = v[2] or 'expired', result = v[3], error = v[4] }
  end
  return out
end

local function outcome_json(d)
  if d.state == 'succeeded' then return '{"ok":true,"value":' .. (d.result or 'null') .. '}' end
  return '{"ok":false,"id":' .. cjson.encode(d.id) .. ',"state":"' .. d.state .. '","error":' .. (d.error or 'null') .. '}'
end

-- buildInput: the pieces concatenated, indexes (0-based) replaced by results or, under 'run', outcomes.
local function build_input(pieces, deps, rule)
  local parts = {}
  for _, p in ipairs(pieces) do
    if type(p) == 'string' then
      parts[#parts + 1] = p
    else
      local d = deps[p + 1]
      if rule == 'run' then parts[#parts + 1] = outcome_json(d) else parts[#parts + 1] = d.result or 'null' end
    end
  end
  return table.concat(parts)
end

local function outcomes_json(deps)
  local parts = {}
  for i, d in ipairs(deps) do parts[i] = outcome_json(d) end
  return '[' .. table.concat(parts, ',') .. ']'
end

-- ISO 8601 from epoch ms (Redis's Lua has no os.date): days to civil date, after H. Hinnant.
local function iso(ms)
  local s = math.floor(ms / 1000)
  local days = math.floor(s / 86400)
  local rem = s - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp + 3
  if mp >= 10 then m = mp - 9 end
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d, math.floor(rem / 3600), math.floor(rem % 3600 / 60), rem % 60, ms % 1000)
end

-- dependencyError: names the dependencies that did not succeed (at most 10, then 'and N more').
local function dependency_error(deps, now)
  local bad = {}
  for _, d in ipairs(deps) do if d.state ~= 'succeeded' then bad[#bad + 1] = d end end
  local named = {}
  for i = 1, math.min(#bad, 10) do
    local d = bad[i]
    local why = ''
    if d.error then
      local ok, e = pcall(cjson.decode, d.error)
      if ok and type(e) == 'table' and type(e.message) == 'string' and e.message ~= '' then why = ': ' .. e.message end
    end
    named[i] = d.id .. ' (' .. d.task .. ') ' .. d.state .. why
  end
  local lead = 'a step it waits for did not succeed'
  if #bad ~= 1 then lead = #bad .. ' of the ' .. #deps .. ' steps it waits for did not succeed' end
  local more = ''
  if #bad > 10 then more = '; and ' .. (#bad - 10) .. ' more' end
  return cjson.encode({ name = 'DependencyFailed', message = lead .. ': ' .. table.concat(named, '; ') .. more, at = iso(now) })
end

-- resolveStep: a step whose last dependency ended becomes ready, or ends by its rule.
-- Returns true when it became ready (workers should look).
local function resolve_step(h, now)
  local deps = dep_outcomes(h.depends_on)
  local failed = false
  for _, d in ipairs(deps) do if d.state ~= 'succeeded' then failed = true end end
  local rule = h.on_dep_failure
  local ready = false
  if not failed or rule == 'run' then
    local input = nil
    if h.input then input = build_input(cjson.decode(h.input), deps, rule) end
    if h.is_join == '1' then
      finish(h, 'succeeded', now)
      put(h, 'result', input or 'null')
    else
      if input then put(h, 'payload', input) end
      unwait(h)
      local run_at = now + (tonumber(h.delay_ms) or 0)
      h.state = 'waiting'
      if run_at > now then to_waiting(h, 'scheduled', run_at) else to_waiting(h, 'queued', run_at) end
      ready = true
    end
  else
    local err = dependency_error(deps, now)
    local to = 'failed'
    if rule == 'cancel' then to = 'cancelled' end
    finish(h, to, now)
    add_error(h, err)
    put(h, 'by_dep', 1)
    if h.is_join == '1' then put(h, 'result', outcomes_json(deps)) end
  end
  flush(h)
  return ready
end

-- Releases the steps waiting for the jobs that ended in this script (ended_steps), and on down
-- the graph from each step that ended in turn. Call before write_counts(). Returns whether a
-- step became ready.
local function run_steps(now)
  local woke = false
  while #ended_steps > 0 do
    -- One count-down per waiting step, by how many of the jobs it waits for ended in this round:
    -- a settle of 200 header jobs writes the chord body's counter once, not 200 times.
    local order, down = {}, {}
    for _, ended in ipairs(ended_steps) do
      local failed = 0
      if ended[1] ~= 'succeeded' then failed = 1 end
      for _, nid in ipairs(cjson.decode(ended[2])) do
        local d = down[nid]
        if d then
          d[1] = d[1] + 1
          d[2] = d[2] + failed
        else
          down[nid] = { 1, failed }
          order[#order + 1] = nid
        end
      end
    end
    -- Steps that end by the rules below add to ended_steps: the next round.
    ended_steps = {}
    for _, nid in ipairs(order) do
      local k = jkey(nid)
      if redis.call('HGET', k, 'state') == 'waiting' then
        local d = down[nid]
        if d[2] > 0 then redis.call('HINCRBY', k, 'dep_failed', d[2]) end
        if redis.call('HINCRBY', k, 'pending', 0 - d[1]) <= 0 then
          if resolve_step(load(nid, STEP_FIELDS), now) then woke = true end
        end
      end
    end
  end
  return woke
end

-- Cancels every step of a workflow that has not ended: those not started at once, running ones
-- flagged for their worker. Appends to the given lists.
local function cancel_workflow(wf, now, cancelled, aborting)
  local err = cjson.encode({ name = 'Cancelled', message = 'the workflow was cancelled', at = iso(now) })
  for _, id in ipairs(redis.call('ZRANGE', B .. 'workflow:' .. wf, 0, -1)) do
    cancel_job(load(id), now, err, cancelled, aborting)
  end
end

-- A retried step runs again: a step still waiting for it counts it as not ended again; the steps
-- that ended because of it (by_dep) wait again, on down the graph, their counters recounted from
-- their dependencies' states.
local function resume_steps(id)
  local todo = { id }
  local i = 1
  while i <= #todo do
    local nx = redis.call('HGET', jkey(todo[i]), 'next')
    local retried = i == 1
    i = i + 1
    if nx then
      for _, nid in ipairs(cjson.decode(nx)) do
        local h = load(nid, with_fields({ 'depends_on', 'by_dep', 'dep_failed' }))
        if retried and h and h.state == 'waiting' then
          redis.call('HINCRBY', jkey(nid), 'pending', 1)
          if (tonumber(h.dep_failed) or 0) > 0 then redis.call('HINCRBY', jkey(nid), 'dep_failed', -1) end
        end
        if h and h.by_dep == '1' and FINAL[h.state] then
          local pending, dep_failed = 0, 0
          for _, d in ipairs(dep_outcomes(h.depends_on)) do
            if not FINAL[d.state] then pending = pending + 1 elseif d.state ~= 'succeeded' then dep_failed = dep_failed + 1 end
          end
          redis.call('ZREM', B .. 'finished:' .. h.state, nid)
          for _, f in ipairs({ 'finished_at', 'error', 'result', 'by_dep' }) do drop(h, f) end
          put(h, 'pending', pending); put(h, 'dep_failed', dep_failed)
          set_state(h, 'waiting')
          redis.call('ZADD', B .. 'waiting:' .. h.queue, h.seq, nid)
          flush(h)
          todo[#todo + 1] = nid
        end
      end
    end
  end
end
`