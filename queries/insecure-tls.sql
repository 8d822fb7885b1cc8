-- title: Authenticated requests over old TLS or plain HTTP
-- severity: medium
-- description: Signed requests sent with TLS 1.0/1.1 or without TLS at all,
--   by requester, TLS version, user agent and endpoint. Credentials and data
--   cross the network unprotected or weakly protected. Upgrade the client and
--   refuse them with aws:SecureTransport and s3:TlsVersion conditions.
-- remedy: {"Sid": "DenyOldTLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
--   "Resource": ["arn:aws:s3:::BUCKET", "arn:aws:s3:::BUCKET/*"],
--   "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}
SELECT
    requester,
    coalesce(tls_version, 'none (HTTP)') AS tls_version,
    user_agent,
    host_header,
    count(*) AS requests,
    min(time) AS first_seen,
    max(time) AS last_seen
FROM logs
WHERE signature_version IS NOT NULL
  AND remote_ip IS NOT NULL
  -- TLS 1.2 and 1.3, nearly every request, are settled by an exact
  -- comparison, which the scan makes itself while parsing; only the rest
  -- are upper-cased (the docs write both `TLSv1.1` and `TLSV1.1`).
  AND (tls_version IS NULL OR tls_version NOT IN ('TLSv1.2', 'TLSv1.3'))
  AND (tls_version IS NULL OR upper(tls_version) IN ('TLSV1', 'TLSV1.0', 'TLSV1.1'))
GROUP BY requester, tls_version, user_agent, host_header
ORDER BY requests DESC, requester, tls_version, user_agent
