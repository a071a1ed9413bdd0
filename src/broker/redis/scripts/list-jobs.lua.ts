/**
 * list-jobs.lua (read only): jobs filtered by state, queue and task, newest first, read from the
 * set that holds the state asked for:
 * - finished states: <base>finished:<state>, newest finish first (as SQLite lists them);
 * - active: <base>leases (at most the workers' total concurrency), by seq, newest first;
 * - queued / scheduled: <base>ready:<q> / <base>scheduled:<q>, by seq, newest first; of a
 *   backlog over LIVE_CAP jobs in one queue, the LIVE_CAP that run last;
 * - no state: <base>jobs (by seq), newest first.
 * A filter the set cannot answer (queue or task) is checked on each job. Scans look at no more
 * than SCAN_CAP jobs per call, so a listing never blocks Redis for long: a rare task among
 * millions of finished jobs may be listed incompletely (tq jobs says so in its help).
 *
 * KEYS[1] <base>jobs, KEYS[2] <base>queues; plus the sets above and <base>job:<id>
 * - a workflow's steps: <base>workflow:<id>, by seq, newest first (any other filter checked per job);
 * - waiting (workflow steps): <base>waiting:<q>, by seq, newest first.
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] state (''), ARGV[4] queue (''), ARGV[5] task (''), ARGV[6] limit,
 * ARGV[7] workflow id (''), ARGV[8] offset (jobs to skip first, in listing order; default 0)
 * A page (offset) is collected the same way, skipping the first offset matches; a scan with no
 * filter to check starts at the offset itself, so any page of a plain listing costs one page.
 * Returns one HGETALL array per job.
 */
export const LIST_JOBS = String.raw`
local state, queue, task, limit, workflow = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7] or ''
local offset = tonumber(ARGV[8] or '0') or 0
local LIVE_CAP, SCAN_CAP, PAGE = 10000, 100000, 500
if limit <= 0 then return {} end
local ids = {}
-- Matches seen so far, skipped ones included; a match is kept once offset of them have been skipped.
local seen = 0
local function keep(id)
  seen = seen + 1
  if seen > offset then ids[#ids + 1] = id end
  return #ids >= limit
end

-- Whether job 'id' passes the filters its source set does not answer by itself.
local function passes(id, check_state)
  if not check_state and queue == '' and task == '' then return true end
  local v = redis.call('HMGET', jkey(id), 'state', 'queue', 'task')
  if not v[1] then return false end
  return (not check_state or state == '' or v[1] == state) and (queue == '' or v[2] == queue) and (task == '' or v[3] == task)
end

-- Newest first through a zset (highest score first), keeping jobs that pass.
local function scan(key, check_state)
  local start = 0
  -- Nothing to check on each job: every entry matches, so the page starts at the offset.
  if (not check_state or state == '') and queue == '' and task == '' then
    start, seen = offset, offset
  end
  local first = start
  while #ids < limit and start - first < SCAN_CAP do
    local page = redis.call('ZREVRANGE', key, start, start + PAGE - 1)
    if #page == 0 then return end
    for _, id in ipairs(page) do
      if passes(id, check_state) and keep(id) then return end
    end
    start = start + #page
  end
end

-- Candidates { id, seq } of a live state, sorted newest first, keeping jobs that pass.
local function newest(cands)
  table.sort(cands, function(x, y) return x[2] > y[2] end)
  for _, c in ipairs(cands) do
    if passes(c[1], false) and keep(c[1]) then return end
  end
end

local function queues()
  if queue ~= '' then return { queue } end
  return redis.call('SMEMBERS', B .. 'queues')
end

-- The set of each waiting state, per queue.
local WAITING = { queued = 'ready', scheduled = 'scheduled' }

-- Candidates { id, seq } from <base><set>:<q> of every queue listed: at most LIVE_CAP per
-- queue, those that run last (the end of the set: lowest priority, latest run time), which for
-- a backlog are the newest. A ready member carries the job's seq (see lib.lua ready_member); a
-- scheduled job's is read from its hash.
local function waiting(set)
  local cands = {}
  for _, q in ipairs(queues()) do
    for _, m in ipairs(redis.call('ZRANGE', B .. set .. ':' .. q, 0 - LIVE_CAP, -1)) do
      if set == 'ready' then
        cands[#cands + 1] = { string.sub(m, 35), tonumber(string.sub(m, 18, 33)) }
      else
        cands[#cands + 1] = { m, tonumber(redis.call('HGET', jkey(m), 'seq')) or 0 }
      end
    end
  end
  return cands
end

if workflow ~= '' then
  scan(B .. 'workflow:' .. workflow, true)
elseif state == 'waiting' then
  local cands = {}
  for _, q in ipairs(queues()) do
    local flat = redis.call('ZRANGE', B .. 'waiting:' .. q, 0 - LIVE_CAP, -1, 'WITHSCORES')
    for k = 1, #flat, 2 do cands[#cands + 1] = { flat[k], tonumber(flat[k + 1]) } end
  end
  newest(cands)
elseif state == 'succeeded' or state == 'failed' or state == 'cancelled' or state == 'expired' then
  scan(B .. 'finished:' .. state, false)
elseif state == 'active' then
  local cands = {}
  for _, id in ipairs(redis.call('ZRANGE', B .. 'leases', 0, -1)) do
    cands[#cands + 1] = { id, tonumber(redis.call('HGET', jkey(id), 'seq')) or 0 }
  end
  newest(cands)
elseif state == 'queued' or state == 'scheduled' then
  newest(waiting(WAITING[state]))
else
  scan(B .. 'jobs', true)
end

local out = {}
for _, id in ipairs(ids) do
  local h = redis.call('HGETALL', jkey(id))
  if #h > 0 then out[#out + 1] = h end
end
return out
`
