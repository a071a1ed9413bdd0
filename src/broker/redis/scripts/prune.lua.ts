/**
 * prune.lua: retention. Deletes succeeded, cancelled and expired jobs finished before one
 * time, failed jobs finished before another, at most `batch` per call (the broker calls again
 * while `more` is 1); and drops results past their expiry. A finished step of a workflow still
 * running is kept (a step waiting for it needs its result): stepped over, at most 10 batches'
 * worth per call.
 *
 * KEYS[1] <base>finished:succeeded, KEYS[2] <base>finished:cancelled, KEYS[3] <base>finished:expired,
 * KEYS[4] <base>finished:failed, KEYS[5] <base>result-expiry
 * plus every index a deleted job is in (see lib del_job)
 *
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] finishedBefore ('' = keep), ARGV[4] failedBefore ('' = keep), ARGV[5] batch
 * Returns { deleted, more }.
 */
export const PRUNE = String.raw`
local now = now_ms()
local batch = tonumber(ARGV[5])
local n = 0
local function in_running_workflow(id)
  local wf = redis.call('HGET', jkey(id), 'workflow_id')
  if not wf or wf == id then return false end
  return redis.call('HGET', jkey(wf), 'state') == 'waiting'
end
local function prune_state(state, before)
  if before == '' or n >= batch then return end
  local kept, scanned = 0, 0
  while n < batch and scanned < batch * 10 do
    local ids = redis.call('ZRANGEBYSCORE', B .. 'finished:' .. state, '-inf', '(' .. before, 'LIMIT', kept, batch - n)
    if #ids == 0 then return end
    for _, id in ipairs(ids) do
      scanned = scanned + 1
      if in_running_workflow(id) then
        kept = kept + 1
      elseif del_job(id) == 1 then
        n = n + 1
      else
        redis.call('ZREM', B .. 'finished:' .. state, id)
      end
    end
  end
end
prune_state('succeeded', ARGV[3])
prune_state('cancelled', ARGV[3])
prune_state('expired', ARGV[3])
prune_state('failed', ARGV[4])
local expired = redis.call('ZRANGEBYSCORE', B .. 'result-expiry', '-inf', now, 'LIMIT', 0, batch)
for _, id in ipairs(expired) do
  redis.call('HDEL', jkey(id), 'result', 'result_expires_at')
  redis.call('ZREM', B .. 'result-expiry', id)
end
write_counts()
local more = 0
if n >= batch or #expired >= batch then more = 1 end
return { n, more }
`
