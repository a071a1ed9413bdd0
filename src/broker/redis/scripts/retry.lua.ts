/**
 * retry.lua: requeues failed, cancelled or expired jobs with a fresh attempt budget (attempt 0,
 * run now). The error history stays; result, error and progress are cleared. A unique key is
 * taken back only if no other live job holds it.
 *
 * KEYS[1] <base>keys, KEYS[2] <base>result-expiry
 * plus <base>counts, and per job: <base>job:<id>, <base>finished:<state>, <base>ready:<q>, <base>expiring:<q>
 *
 * Workflows: a retried step resumes its workflow (the steps that ended because of it wait again,
 * lib resume_steps); a workflow's id retries its failed steps; a step that ended only because of
 * an earlier one (by_dep) and a join are not retried themselves. A job whose unique key another
 * live job holds now is not retried (one live job per key).
 * ARGV[1] base, ARGV[2] events channel, ARGV[3..] job ids
 * Returns the ids requeued. Publishes if any.
 */
export const RETRY = String.raw`
local now = now_ms()
local done = {}
local RETRYABLE = { failed = true, cancelled = true, expired = true }
local FIELDS_R = with_fields({ 'is_join', 'by_dep' })
local ids = {}
for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
local i = 1
while i <= #ids do
  local id = ids[i]
  i = i + 1
  local h = load(id, FIELDS_R)
  if h and h.is_join == '1' then
    -- A workflow's id: its failed steps (those that ran), which resume it from there.
    for _, sid in ipairs(redis.call('ZRANGE', B .. 'workflow:' .. id, 0, -1)) do
      local v = redis.call('HMGET', jkey(sid), 'state', 'is_join', 'by_dep')
      if v[1] == 'failed' and not v[2] and not v[3] then ids[#ids + 1] = sid end
    end
  elseif h and RETRYABLE[h.state] and not h.by_dep and not (h.key and h.key ~= '' and key_holder(h.key)) then
    redis.call('ZREM', B .. 'finished:' .. h.state, id)
    redis.call('ZREM', B .. 'result-expiry', id)
    for _, f in ipairs({ 'finished_at', 'started_at', 'error', 'result', 'progress', 'result_expires_at', 'lease_until' }) do drop(h, f) end
    put(h, 'attempt', 0)
    put(h, 'cancel_requested', 0)
    if h.key and h.key ~= '' then redis.call('HSET', B .. 'keys', h.key, id) end
    to_waiting(h, 'queued', now)
    flush(h)
    if h.workflow_id then resume_steps(id) end
    done[#done + 1] = id
  end
end
write_counts()
if #done > 0 then redis.call('PUBLISH', CHANNEL, 'retry') end
return done
`
