-- ARGV[4] task id, ARGV[5] attempt, ARGV[6] error, ARGV[7] retry time or '' (no retry),
-- ARGV[8..10] the message if it is queued again, dead, or failed for good (rendered by
-- the caller). Replies the new status, or nil when the attempt no longer holds the task.
local id, attempt, err, retry_at = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], ARGV[7]
local t = load(id)
if not holds(t, attempt) then return nil end
local exhausted = tonumber(t.attempt) >= tonumber(t.max_attempts)
local status, kind, body
if retry_at ~= '' and not exhausted then
  status, kind, body = 'queued', 'task.failed', ARGV[8]
elseif exhausted then
  status, kind, body = 'dead', 'task.dead', ARGV[9]
else
  status, kind, body = 'failed', 'task.failed', ARGV[10]
end
if status == 'queued' then
  t.not_before = retry_at
  redis.call('HSET', task_key(id), 'error', err, 'not_before', retry_at)
else
  redis.call('HSET', task_key(id), 'error', err, 'not_before', '0', 'finished_at', NOW)
end
set_status(t, status)
emit('session:' .. t.session_id, kind, body)
if status ~= 'queued' then settle_dependents({id}) end
news()
return status
