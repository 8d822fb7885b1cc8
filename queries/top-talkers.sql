-- title: Top talkers
-- severity: info
-- description: The client IPs and requesters that send the most bytes and
--   requests; a sudden newcomer here is worth a look (scraping, exfiltration,
--   a runaway job).
SELECT
    remote_ip,
    requester,
    count(*) AS requests,
    sum(coalesce(bytes_sent, 0)) AS bytes_sent,
    sum(CASE WHEN http_status >= 400 THEN 1 ELSE 0 END) AS errors
FROM logs
WHERE remote_ip IS NOT NULL
GROUP BY remote_ip, requester
ORDER BY bytes_sent DESC, requests DESC, remote_ip, requester
LIMIT 25
