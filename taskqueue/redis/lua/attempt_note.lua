-- A fenced note on a running attempt: ARGV[4] task id, ARGV[5] attempt, ARGV[6] what
-- ('checkpoint' or 'progress'), then the checkpoint JSON, or the fraction, the note, the
-- message and, optionally, the kind and body of a message published with it. Replies 1,
-- or 0 when the attempt no longer holds the task.
local id, attempt, what = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local t = load(id)
if not holds(t, attempt) then return 0 end
if what == 'checkpoint' then
  redis.call('HSET', task_key(id), 'checkpoint', ARGV[7])
else
  redis.call('HSET', task_key(id), 'progress', ARGV[7], 'progress_note', ARGV[8])
  emit('session:' .. t.session_id, 'task.progress', ARGV[9])
  if ARGV[10] then emit('session:' .. t.session_id, ARGV[10], ARGV[11]) end
end
news()
return 1
