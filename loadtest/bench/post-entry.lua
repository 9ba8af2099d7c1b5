-- wrk script: POST a new guestbook entry per request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"author":"bench","message":"A guestbook entry written by the benchmark."}'
