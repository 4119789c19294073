"""The change-stream service: `GET /api/collections/{id}/changes` as Server-Sent Events, outside gunicorn.

A stream is an idle socket most of its life, so one asyncio loop per process holds thousands of them at a
few KB each, instead of a gunicorn thread and a database connection each. Per process, one LISTEN
connection only wakes one follower (listener), which reads the change table once for all streams and
hands every stream its events (hub); the table is the truth, so a stream resumes from `Last-Event-ID`
and a database restart loses nothing. server: the aiohttp app and the SSE framing (sse); service: one
process; cli: `mapserver live serve`, one or several processes on one port (SO_REUSEPORT).
"""
