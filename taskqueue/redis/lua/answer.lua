-- Complete a queued human task with a person's answer: ARGV[4] task id, ARGV[5] the
-- result JSON. Replies 1, 0 when it is not a queued human task, -1 for an unknown task.
local id, result = tonumber(ARGV[4]), ARGV[5]
local t = load(id)
if not t then return -1 end
if t.status ~= 'queued' or t.role ~= 'human' then return 0 end
set_status(t, 'done')
local attempt = redis.call('HINCRBY', task_key(id), 'attempt', 1)
redis.call('HSET', task_key(id), 'started_at', NOW, 'finished_at', NOW, 'progress', '1.0',
           'result', result)
redis.call('HDEL', task_key(id), 'error')
local channel = 'session:' .. t.session_id
-- Started and done together, so that replaying the bus counts the attempt.
emit(channel, 'task.started', cjson.encode({task_id = id, attempt = attempt, role = 'human',
                                            skill = t.skill or cjson.null, worker = 'human'}))
emit(channel, 'task.done', cjson.encode({task_id = id, attempt = attempt}))
settle_dependents({id})
news()
return 1
