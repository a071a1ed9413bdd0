import { HANDOFF_LIB } from './handoff-lib.lua.js'
import { WORKFLOW_LIB } from './workflow-lib.lua.js'

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

-- FENCING. A claim's (or hand-off's) token is max(token + 1, now in ms): never issued twice, even
-- if Redis restarts from a snapshot or AOF that lost the last claims (their jobs back with the old
-- token, their workers still running them): every token issued after the restart is above every
-- one before it, so those workers cannot complete the jobs' next leases.

local LIVE = { waiting = true, scheduled = true, queued = true, active = true }
local FINAL = { succeeded = true, failed = true, cancelled = true, expired = true }

-- The fields scripts read to move a job; missing ones come back false. A script that needs more
-- builds its list once with with_fields() and passes it to load().
local FIELDS = { 'queue', 'state', 'seq', 'key', 'run_at', 'priority', 'expires_at', 'token', 'task', 'parent_id', 'attempt', 'workflow_id', 'next', 'waiters' }
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
  if #h.del > 0 then
    redis.call('HDEL', jkey(h.id), unpack(h.del))
    h.del = {}
  end
  if #h.set > 0 then
    redis.call('HSET', jkey(h.id), unpack(h.set))
    h.set = {}
  end
end

-- Job counts by state and queue live in one hash, <base>counts, field '<state>:<queue>'.
-- Transitions record their changes here; write_counts() applies them with one HINCRBY per
-- (state, queue) touched, so a batch of 500 claims writes two counters, not 1000 set entries.
-- Every script that changes a job's state calls write_counts() before it returns (and after it
-- has flushed its transitions): it also tells the waiters of jobs that ended (tell_waiters).
local deltas = {}
local function count(q, st, n)
  local f = st .. ':' .. q
  deltas[f] = (deltas[f] or 0) + n
end
-- Jobs that ended in this script while a producer waits for them (watch-job.lua put the waiting
-- brokers' ids in their 'waiters' field), as { id, waiters }: tell_waiters() publishes each one,
-- as stored once ended, to every waiter's own channel '<events channel>:<broker id>', so the
-- waiter has the result without reading the job again. Jobs nobody waits for cost nothing here.
local ended_waited = {}
local function tell_waiters()
  for _, e in ipairs(ended_waited) do
    local k = jkey(e[1])
    redis.call('HDEL', k, 'waiters')
    local job = cjson.encode(redis.call('HGETALL', k))
    for w in string.gmatch(e[2], '%S+') do redis.call('PUBLISH', CHANNEL .. ':' .. w, job) end
  end
  ended_waited = {}
end
-- Job sequence numbers: the script reads <base>seq once, hands out the next ones itself and
-- writes the last back in write_counts(), rather than one INCR per job a batch inserts.
local seq_top = nil
local function next_seq()
  if not seq_top then seq_top = tonumber(redis.call('GET', B .. 'seq')) or 0 end
  seq_top = seq_top + 1
  return seq_top
end
-- Sorted-set writes of a bulk insert: between batch_zadds() and write_zadds() each key's members
-- are collected and written with one ZADD per 500 of them instead of one call per job. Only for
-- sets nothing reads before write_zadds().
local zadds = nil
local function zadd(key, score, member)
  if not zadds then return redis.call('ZADD', key, score, member) end
  local l = zadds[key]
  if not l then
    l = {}
    zadds[key] = l
  end
  l[#l + 1] = score
  l[#l + 1] = member
end
local function batch_zadds() zadds = {} end
local function write_zadds()
  for key, l in pairs(zadds) do
    for i = 1, #l, 1000 do redis.call('ZADD', key, unpack(l, i, math.min(i + 999, #l))) end
  end
  zadds = nil
end
local function write_counts()
  for f, n in pairs(deltas) do
    if n ~= 0 then redis.call('HINCRBY', B .. 'counts', f, n) end
  end
  deltas = {}
  if seq_top then
    redis.call('SET', B .. 'seq', seq_top)
    seq_top = nil
  end
  -- Every transition is flushed by now, so the jobs published are as stored.
  tell_waiters()
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
  zadd(B .. 'ready:' .. h.queue, 0 - (tonumber(h.priority) or 0), ready_member(h.id, run_at, h.seq))
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

-- Ends a job's lease bookkeeping (it leaves state active). The lease's expiry lives only in
-- <base>leases (jobs leased by earlier versions may still carry a 'lease_until' field: nothing reads it).
local function unlease(h)
  redis.call('ZREM', B .. 'leases', h.id)
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
    zadd(B .. 'scheduled:' .. h.queue, run_at, h.id)
  else
    to_ready(h, run_at)
  end
  if h.expires_at then zadd(B .. 'expiring:' .. h.queue, h.expires_at, h.id) end
end

-- Workflow steps that ended in this script, as { state, next (JSON ids) }: run_steps() (workflow
-- section below) releases the steps waiting for them before the script returns, so it happens in
-- the same atomic step.
local ended_steps = {}

-- Moves a job to a final state (the caller flushes).
local function finish(h, to, now)
  if h.workflow_id and h.next then ended_steps[#ended_steps + 1] = { to, h.next } end
  if h.waiters then ended_waited[#ended_waited + 1] = { h.id, h.waiters } end
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
-- 'fresh': the id is known to be new (drawn for this call), so it is not looked up.
-- Returns { id, 1 } when created, { existing id, 0 } otherwise.
-- Queues this script has already added to <base>queues (a batch adds each once).
local known_queues = {}
local function insert_job(now, id, task, q, payload, priority, run_at, max_attempts, key, parent, expires_at, step, fresh)
  if key ~= '' then
    local holder = key_holder(key)
    if holder then return { holder, 0 } end
  end
  if not fresh and redis.call('EXISTS', jkey(id)) == 1 then return { id, 0 } end
  local seq = next_seq()
  -- The fields every job has, as one literal (a bulk insert runs this per job). 'attempt' and
  -- 'token' are absent until the first claim: readers take a missing one as 0 (each field costs
  -- a bulk insert about 0.45 µs of Redis CPU a job).
  local set = { 'id', id, 'task', task, 'queue', q, 'payload', payload, 'priority', priority, 'max_attempts', max_attempts, 'created_at', now, 'seq', seq }
  local h = { id = id, queue = q, state = false, seq = seq, priority = priority, expires_at = false, set = set, del = {} }
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
  zadd(B .. 'jobs', seq, id)
  if not known_queues[q] then
    redis.call('SADD', B .. 'queues', q)
    known_queues[q] = true
  end
  return { id, 1 }
end

-- Deletes a job and every index entry pointing at it. Returns 1 if it existed.
local function del_job(id)
  local h = load(id)
  redis.call('ZREM', B .. 'jobs', id)
  if not h then return 0 end
  -- A step deleted before it ended counts as expired for the steps waiting for it: the script
  -- calls run_steps(), so they end by their rules rather than wait for ever.
  if h.workflow_id and h.next and not FINAL[h.state] then ended_steps[#ended_steps + 1] = { 'expired', h.next } end
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
` +
  WORKFLOW_LIB +
  HANDOFF_LIB
