"""``seqlab serve``: trained runs behind a JSON API that batches concurrent requests, and the
web studio.

    schemas.py     the requests and responses, every field typed, ranged and defaulted
    registry.py    the loaded runs by name, each with its batcher
    runners.py     what each route asks of a task: a batch key and rows, run in one call
    attention.py   a Transformer's attention maps per layer and head (/v1/attention)
    batcher.py     merges concurrent requests with the same key into one batched call, and
                   counts the batches, their rows and the seconds of model compute
    routes.py      the routes (FastAPI routers, models, limits and API key as dependencies)
    stream.py      server-sent events of a generation, piece by piece
    errors.py      every error as {"error", "request_id"}, the framework's included
    limits.py      batch size, waits, queue, deadline and body size
    app.py         the FastAPI application: routers, errors, the studio's static files
    middleware.py  request ids, the body-size limit, one JSON log line a request
    static/        the studio: plain HTML, CSS and JavaScript, no build step, no CDN
"""
