#!/usr/bin/env bash
# One-time MinIO setup for a VisionSuit stack (docs/minio.md): buckets, lifecycle of incoming/, the webhook target
# and the event rule that feeds ingest. Idempotent: safe to run again after an upgrade.
#
#   MINIO_URL=https://minio.example.com:9000 MINIO_ACCESS_KEY=admin MINIO_SECRET_KEY=... \
#   STACK=visionsuit-prod VS_PUBLIC_URL=https://visionsuit.example.com VS_STORAGE_EVENTS_SECRET=... \
#   infra/minio/setup.sh
#
# NOTIFY_VIA_ENV=1: the webhook target is defined by infra/minio/webhook.env in MinIO's environment; skip the
# `mc admin config set` (an environment variable would override it anyway).
# Needs `mc` (MinIO client) and an admin user (admin:ConfigUpdate, admin:ServerUpdate for the restart).
set -euo pipefail
: "${MINIO_URL:?} ${MINIO_ACCESS_KEY:?} ${MINIO_SECRET_KEY:?} ${STACK:?} ${VS_PUBLIC_URL:?}"

ALIAS=visionsuit
TARGET_ID=VISIONSUIT                                   # = the _VISIONSUIT suffix in webhook.env
ARN="arn:minio:sqs::${TARGET_ID}:webhook"
MEDIA_BUCKET="${STACK}-media"                          # infra/resources.py: Bucket("media")
BASE_MODELS_BUCKET="${STACK}-base-models"              # infra/resources.py: Bucket("base-models")
EVENT_PREFIX=incoming/                                 # uploads and generator renders land here
EVENTS=put                                             # every s3:ObjectCreated:* (Put, Post, Copy, CompleteMultipartUpload)
QUEUE_DIR=/data/.visionsuit-events                     # on the MinIO server, like webhook.env

mc alias set "$ALIAS" "$MINIO_URL" "$MINIO_ACCESS_KEY" "$MINIO_SECRET_KEY" >/dev/null

# Buckets (path-style: the platform runs with VS_S3_ADDRESSING_STYLE=path).
mc mb --ignore-existing "$ALIAS/$MEDIA_BUCKET" "$ALIAS/$BASE_MODELS_BUCKET"

# Objects under incoming/ are claimed (copied elsewhere and deleted) by ingest within seconds; whatever is left
# after 3 days is an abandoned upload. `ilm import` replaces the bucket's lifecycle with lifecycle-media.json, so
# a second run changes nothing. Stale multipart uploads are removed by MinIO itself (api stale_uploads_expiry,
# 24 h by default) and by the platform's sweep-uploads schedule.
mc ilm import "$ALIAS/$MEDIA_BUCKET" < "$(dirname "$0")/lifecycle-media.json"

# CORS for presigned browser PUTs: MinIO applies it server-wide, to the SPA's origin.
mc admin config set "$ALIAS" api cors_allow_origin="$VS_PUBLIC_URL"

# The webhook target: MinIO POSTs one JSON body per event ({"EventName", "Key", "Records": [...]}) with
# "Authorization: Bearer <secret>"; queue_dir makes delivery at-least-once across API outages and MinIO restarts.
if [ -z "${NOTIFY_VIA_ENV:-}" ]; then
  : "${VS_STORAGE_EVENTS_SECRET:?}"
  mc admin config set "$ALIAS" "notify_webhook:${TARGET_ID}" \
    endpoint="${VS_PUBLIC_URL%/}/api/events/storage" \
    auth_token="Bearer ${VS_STORAGE_EVENTS_SECRET}" \
    queue_dir="$QUEUE_DIR" \
    queue_limit=100000 \
    comment="VisionSuit ingest"
fi
mc admin service restart "$ALIAS"    # notify targets and api settings are read at startup

# The rule: objects created under incoming/ in the media bucket go to the VisionSuit target.
mc event add "$ALIAS/$MEDIA_BUCKET" "$ARN" --event "$EVENTS" --prefix "$EVENT_PREFIX" --ignore-existing
mc event ls "$ALIAS/$MEDIA_BUCKET" "$ARN"
