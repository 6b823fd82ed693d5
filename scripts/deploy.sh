#!/usr/bin/env bash
# `make deploy STAGE=<name>`: VisionSuit on a real AWS account (never run in CI). docs/deploy.md walks
# through it. Stack: visionsuit-<stage>. Optional: ALARM_EMAIL, PUBLIC_URL (custom domain already pointed
# at the distribution), ALLOWED_ORIGINS (further browser origins, comma separated), ARTIFACT_BUCKET,
# SKIP_FRONTEND=1.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

die() { echo "deploy: $*" >&2; exit 1; }
step() { printf '\n==> %s\n' "$*"; }

# -- prerequisites -----------------------------------------------------------------------------------
STAGE="${STAGE:-}"
[[ "$STAGE" =~ ^[a-z][a-z0-9-]{0,19}$ ]] || die "STAGE must be 1-20 chars of a-z, 0-9, - (got '${STAGE}')"
STACK="visionsuit-${STAGE}"
command -v aws >/dev/null || die "the AWS CLI v2 is required (https://docs.aws.amazon.com/cli/)"
aws --version 2>&1 | grep -q '^aws-cli/2' || die "AWS CLI v2 is required ($(aws --version 2>&1))"
[[ -x "$BIN/python" ]] || die "run 'make install' first"
[[ -n "${SKIP_FRONTEND:-}" ]] || command -v npm >/dev/null || die "npm is required to build the web UI"
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region || true)}}"
[[ -n "$REGION" ]] || die "no region: set AWS_REGION or 'aws configure set region <region>'"
export AWS_REGION="$REGION" AWS_DEFAULT_REGION="$REGION"
ACCOUNT="$(aws sts get-caller-identity --query Account --output text)" \
  || die "no usable AWS credentials (aws sts get-caller-identity failed)"
echo "account ${ACCOUNT}, region ${REGION}, stack ${STACK}"
ARTIFACTS="${ARTIFACT_BUCKET:-${STACK}-artifacts-${ACCOUNT}-${REGION}}"

# -- artifact bucket (code packages and the layer; private) ---------------------------------------------
step "artifact bucket ${ARTIFACTS}"
if ! aws s3api head-bucket --bucket "$ARTIFACTS" 2>/dev/null; then
  if [[ "$REGION" == us-east-1 ]]; then
    aws s3api create-bucket --bucket "$ARTIFACTS" >/dev/null
  else
    aws s3api create-bucket --bucket "$ARTIFACTS" --create-bucket-configuration "LocationConstraint=${REGION}" >/dev/null
  fi
  aws s3api put-public-access-block --bucket "$ARTIFACTS" --public-access-block-configuration \
    BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
  aws s3api put-bucket-lifecycle-configuration --bucket "$ARTIFACTS" --lifecycle-configuration \
    '{"Rules":[{"ID":"old-artifacts","Status":"Enabled","Filter":{"Prefix":""},"Expiration":{"Days":90}}]}'
fi

# -- secrets: SSM parameters, created once, random, never printed ------------------------------------------
step "secrets in SSM Parameter Store"
declare -A SECRET_PARAMS=(
  [JwtSecretParameter]="/visionsuit/${STAGE}/jwt-secret"
  [CallbackSecretParameter]="/visionsuit/${STAGE}/callback-secret"
  [StorageEventsSecretParameter]="/visionsuit/${STAGE}/storage-events-secret"
  [OriginVerifySecretParameter]="/visionsuit/${STAGE}/origin-verify-secret"
)
# SecureString unless listed: CloudFront's origin header resolves only plain String parameters
# ({{resolve:ssm:...}}). That value only decides whether the API believes X-Forwarded-For; it grants nothing.
declare -A SECRET_TYPES=([OriginVerifySecretParameter]=String)
umask 077
SECRET_FILE="$(mktemp)"
trap 'rm -f "$SECRET_FILE"' EXIT
for key in "${!SECRET_PARAMS[@]}"; do
  name="${SECRET_PARAMS[$key]}"
  if aws ssm describe-parameters --parameter-filters "Key=Name,Values=${name}" --query 'Parameters[0].Name' \
       --output text | grep -qx "$name"; then
    echo "kept    ${name}"
  else
    # The value goes through a private file, not the command line (visible to other processes).
    "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(48), end="")' > "$SECRET_FILE"
    aws ssm put-parameter --name "$name" --type "${SECRET_TYPES[$key]:-SecureString}" \
      --value "file://${SECRET_FILE}" >/dev/null
    : > "$SECRET_FILE"
    echo "created ${name}"
  fi
done

# -- dependency layer, templates, web UI ------------------------------------------------------------------
step "dependency layer (manylinux2014_x86_64, CPython 3.12)"
rm -rf build/layer
"$BIN/python" -m pip install --quiet --no-compile --platform manylinux2014_x86_64 --implementation cp \
  --python-version 3.12 --only-binary=:all: -t build/layer/python -r requirements.txt

step "templates (make package)"
make --no-print-directory package

if [[ -z "${SKIP_FRONTEND:-}" ]]; then
  step "web UI"
  (cd frontend && npm ci --no-audit --no-fund && npm run build)
fi

# -- package and deploy --------------------------------------------------------------------------------------
step "aws cloudformation package -> s3://${ARTIFACTS}/${STACK}"
aws cloudformation package --template-file build/app.json --s3-bucket "$ARTIFACTS" --s3-prefix "$STACK" \
  --use-json --output-template-file build/app.packaged.json >/dev/null

deploy() {  # $1: PublicUrl
  # --s3-bucket: the template (~270 KB) is over the 51,200 bytes CloudFormation accepts inline.
  aws cloudformation deploy --template-file build/app.packaged.json --stack-name "$STACK" \
    --s3-bucket "$ARTIFACTS" --s3-prefix "$STACK" \
    --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
    --tags "project=visionsuit" "stage=${STAGE}" \
    --parameter-overrides \
      "JwtSecretParameter=${SECRET_PARAMS[JwtSecretParameter]}" \
      "CallbackSecretParameter=${SECRET_PARAMS[CallbackSecretParameter]}" \
      "StorageEventsSecretParameter=${SECRET_PARAMS[StorageEventsSecretParameter]}" \
      "OriginVerifySecretParameter=${SECRET_PARAMS[OriginVerifySecretParameter]}" \
      "AllowedOrigins=${ALLOWED_ORIGINS:-}" "AlarmEmail=${ALARM_EMAIL:-}" "PublicUrl=$1"
}
output() {
  aws cloudformation describe-stacks --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

step "aws cloudformation deploy ${STACK}"
current_url="$(aws cloudformation describe-stacks --stack-name "$STACK" \
  --query "Stacks[0].Parameters[?ParameterKey=='PublicUrl'].ParameterValue" --output text 2>/dev/null || true)"
[[ "$current_url" == "None" ]] && current_url=""
deploy "${PUBLIC_URL:-$current_url}"
URL="$(output DistributionUrl)"
if [[ -z "${PUBLIC_URL:-}" && "$current_url" != "$URL" ]]; then
  # First deploy: the distribution's domain exists only now. The functions (callback URLs) and the media
  # bucket's CORS learn it in a second, small update (a reference would be a dependency cycle).
  step "second pass: PublicUrl=${URL}"
  deploy "$URL"
fi

# -- web UI to the site bucket ------------------------------------------------------------------------------
if [[ -z "${SKIP_FRONTEND:-}" ]]; then
  SITE="$(output SiteBucketName)"
  step "web UI -> s3://${SITE}"
  # Content-hashed bundles never change: cache for good (old ones stay for clients holding an old page).
  aws s3 sync frontend/dist/assets "s3://${SITE}/assets" --cache-control "public, max-age=31536000, immutable" \
    --only-show-errors
  # Everything else (index.html first of all) is revalidated, so a deploy shows at once.
  aws s3 sync frontend/dist "s3://${SITE}" --exclude "assets/*" --cache-control "no-cache" --delete \
    --only-show-errors
  aws cloudfront create-invalidation --distribution-id "$(output DistributionId)" --paths "/*" \
    --query Invalidation.Id --output text >/dev/null
fi

step "done"
echo "VisionSuit ${STAGE}: ${PUBLIC_URL:-$URL}"
echo "create the first admin: see docs/deploy.md (\"First administrator\")"
