"""``seqlab serve``: trained runs behind a JSON API that batches concurrent requests, and the
web studio.

    schemas.py     the requests and responses, every field typed, ranged and defaulted
    batcher.py     merges concurrent requests with the same options into one batched call
    models.py      the loaded runs, and what each route asks of a task
    app.py         the FastAPI application: routes, errors, the studio's static files
    middleware.py  request ids, the body-size limit, the API key, one JSON log line a request
    static/        the studio: plain HTML, CSS and JavaScript, no build step, no CDN
"""
