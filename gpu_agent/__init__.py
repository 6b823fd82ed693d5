"""The GPU node service: pulls jobs from the platform API, runs them, reports through signed URLs.

It holds no cloud credentials: only its agent key (sent as a bearer header to the poll
endpoint) and, per job, the HMAC-signed callback URLs the platform hands it.
"""
