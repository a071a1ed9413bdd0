/**
 * purge.lua: deletes jobs that are not active, of one state, optionally of one queue, doing a
 * bounded amount of work per call (the broker calls again while `more` is 1), so Redis is never
 * blocked for long. Jobs are found where their state keeps them: <base>ready:<q>,
 * <base>scheduled:<q>, or <base>finished:<state> (shared by every queue, so with a queue filter
 * the kept entries are stepped over: the broker passes back `skip`, how many were kept so far).
 *
 * KEYS[1] <base>queues, KEYS[2] <base>jobs, KEYS[3] <base>keys
 * plus those sets, <base>counts, and every index a deleted job is in (see lib del_job)
 *
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] queue ('' = all), ARGV[4] state (not active),
 * ARGV[5] batch, ARGV[6] skip
 * A workflow step deleted before it ended counts as expired for the steps waiting for it (lib
 * del_job, run_steps).
 * Returns { deleted, more, skip }.
 */
export const PURGE = String.raw`
local queue, state, batch, skip = ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local n = 0

local function finish(more)
  -- Steps waiting for a deleted step end by their rules, or become ready: wake the workers.
  if run_steps(now_ms()) then redis.call('PUBLISH', CHANNEL, 'purge') end
  write_counts()
  return { n, more, skip }
end

if state == 'queued' or state == 'scheduled' or state == 'waiting' then
  local queues = { queue }
  if queue == '' then queues = redis.call('SMEMBERS', B .. 'queues') end
  local set = state
  if state == 'queued' then set = 'ready' end
  for _, q in ipairs(queues) do
    if n >= batch then return finish(1) end
    for _, m in ipairs(redis.call('ZRANGE', B .. set .. ':' .. q, 0, batch - n - 1)) do
      local id = m
      if set == 'ready' then id = string.sub(m, 35) end
      -- A stale entry (its job gone) is dropped from the set, so the next call moves on.
      if del_job(id) == 1 then n = n + 1 else redis.call('ZREM', B .. set .. ':' .. q, m) end
    end
  end
  -- A full batch may have left more behind: the next call looks again from the start.
  if n >= batch then return finish(1) end
  return finish(0)
end

-- A finished state: one page of at most 'batch' entries per call, past the 'skip' kept ones.
local key = B .. 'finished:' .. state
local page = redis.call('ZRANGE', key, skip, skip + batch - 1)
for _, id in ipairs(page) do
  if queue == '' or redis.call('HGET', jkey(id), 'queue') == queue then
    if del_job(id) == 1 then n = n + 1 else redis.call('ZREM', key, id) end
  else
    skip = skip + 1
  end
end
if #page == 0 then return finish(0) end
return finish(1)
`
