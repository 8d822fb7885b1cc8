-- title: Requests that failed on expired or invalid credentials
-- severity: high
-- description: Every request whose failure is explained by its credentials:
--   expired STS session tokens, tokens that must be refreshed, presigned URLs
--   used after X-Amz-Date + X-Amz-Expires (or SigV2 Expires), clock skew,
--   signature mismatches, unknown access keys and malformed tokens; grouped
--   by kind, requester, access key, bucket and user agent, with what each
--   kind means and how to fix it.
SELECT
    credential_failure AS kind,
    CASE credential_failure
        WHEN 'expired_token' THEN 'STS session token expired (also ends presigned URLs it signed)'
        WHEN 'token_refresh_required' THEN 'the session token must be refreshed'
        WHEN 'presigned_expired' THEN 'presigned URL used after its expiry'
        WHEN 'clock_skew' THEN 'client clock more than 15 minutes off'
        WHEN 'signature_mismatch' THEN 'signature computed with the wrong secret or canonical request'
        WHEN 'invalid_access_key' THEN 'access key unknown or deleted'
        WHEN 'invalid_token' THEN 'session token malformed or invalid'
    END AS meaning,
    CASE credential_failure
        WHEN 'expired_token' THEN 'refresh credentials before use; sign long-lived URLs with an IAM user key'
        WHEN 'token_refresh_required' THEN 'let the SDK refresh its credentials (credential provider chain)'
        WHEN 'presigned_expired' THEN 'issue a new URL; match X-Amz-Expires to how long it is needed'
        WHEN 'clock_skew' THEN 'run NTP / chrony on the client'
        WHEN 'signature_mismatch' THEN 'check the secret key and the signing code'
        WHEN 'invalid_access_key' THEN 'rotate the caller to an active key'
        WHEN 'invalid_token' THEN 'pass the whole session token that came with the keys'
    END AS fix,
    requester,
    presign_access_key_id AS access_key,
    bucket,
    user_agent,
    count(*) AS requests,
    min(time) AS first_seen,
    max(time) AS last_seen
FROM logs
WHERE credential_failure IS NOT NULL
GROUP BY credential_failure, requester, presign_access_key_id, bucket, user_agent
ORDER BY requests DESC, kind, requester, access_key, bucket, user_agent
