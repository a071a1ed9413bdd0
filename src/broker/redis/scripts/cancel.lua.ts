/**
 * cancel.lua: cancels jobs not started (waiting, queued or scheduled) at once, and flags active ones so
 * their worker aborts them (renew reports the flag to the holder; the worker then settles 'cancelled').
 *
 * KEYS[1] <base>finished:cancelled, KEYS[2] <base>keys
 * plus <base>counts, and per job: <base>job:<id>, <base>ready:<q>, <base>scheduled:<q>, <base>expiring:<q>
 *
 * A workflow's id (its join's) cancels every step of it that has not ended; a cancelled step
 * releases the steps waiting for it (lib run_steps), which end by their rules.
 * ARGV[1] base, ARGV[2] events channel, ARGV[3..] job ids
 * Returns { cancelled ids, aborting ids }. Publishes if anything changed.
 */
export const CANCEL = String.raw`
local now = now_ms()
local cancelled, aborting = {}, {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local h = load(id)
  if h and h.task == 'tq.workflow' and h.workflow_id == id then
    cancel_workflow(id, now, cancelled, aborting)
  else
    cancel_job(h, now, nil, cancelled, aborting)
  end
end
run_steps(now)
write_counts()
if #cancelled + #aborting > 0 then redis.call('PUBLISH', CHANNEL, 'cancel') end
return { cancelled, aborting }
`
