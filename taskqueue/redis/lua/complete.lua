-- ARGV[4] the completions as JSON: [[task id, attempt, result JSON], ...]. Each is fenced
-- on its own; a (task, attempt) given twice counts once. Replies 1 or 0 per completion.
local outcome, done, first = {}, {}, {}
for i, c in ipairs(cjson.decode(ARGV[4])) do
  local id, attempt, result = c[1], c[2], c[3]
  local t = load(id)
  local seen = id .. ':' .. attempt
  if not first[seen] and holds(t, attempt) then
    set_status(t, 'done')
    redis.call('HSET', task_key(id), 'finished_at', NOW, 'progress', '1.0', 'result', result)
    redis.call('HDEL', task_key(id), 'error')
    done[#done + 1] = t
    outcome[i] = 1
  else
    outcome[i] = 0
  end
  first[seen] = true
end
table.sort(done, function(a, b) return a.id < b.id end)
for _, t in ipairs(done) do
  emit('session:' .. t.session_id, 'task.done',
       cjson.encode({task_id = t.id, attempt = tonumber(t.attempt)}))
end
settle_dependents(ids_of(done))
if #done > 0 then news() end
return outcome
