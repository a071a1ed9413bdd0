/**
 * cancel.lua: cancels waiting (queued or scheduled) jobs at once, and flags active ones so
 * their worker aborts them (renew reports the flag to the holder; the worker then settles 'cancelled').
 *
 * KEYS[1] <base>finished:cancelled, KEYS[2] <base>keys
 * plus <base>counts, and per job: <base>job:<id>, <base>ready:<q>, <base>scheduled:<q>, <base>expiring:<q>
 *
 * ARGV[1] base, ARGV[2] events channel, ARGV[3..] job ids
 * Returns { cancelled ids, aborting ids }. Publishes if anything changed.
 */
export const CANCEL = String.raw`
local now = now_ms()
local cancelled, aborting = {}, {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local h = load(id)
  if h and (h.state == 'queued' or h.state == 'scheduled') then
    finish(h, 'cancelled', now)
    flush(h)
    cancelled[#cancelled + 1] = id
  elseif h and h.state == 'active' then
    redis.call('HSET', jkey(id), 'cancel_requested', 1)
    aborting[#aborting + 1] = id
  end
end
write_counts()
if #cancelled + #aborting > 0 then redis.call('PUBLISH', CHANNEL, 'cancel') end
return { cancelled, aborting }
`
