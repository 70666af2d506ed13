-- A mid-size club for the staff pages (run on a migrated, demo-seeded scratch database):
-- 10 000 more companies (rep 1 owns 3 500), a points account each, ~800 000 purchases over
-- two years with a skew (company 'S00000' ~40 000, a few hundred busy ones, a long tail),
-- one earn entry per purchase, a redemption entry per 20 purchases, a thread per 5 companies.
-- psql -h 127.0.0.1 -U postgres <db> -f bench/staff_club.sql
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO members_company (name, country, org_number, street_address, postal_code, city, status,
  suspension_reason, external_id, created_at, sales_rep_id)
SELECT 'Staff ' || lpad(g::text, 5, '0') || ' AB', CASE WHEN g % 3 = 0 THEN 'NL' ELSE 'SE' END,
  'S' || lpad(g::text, 9, '0'), '', '', 'City ' || (g % 97), 'active', '', 'S' || lpad(g::text, 5, '0'),
  now() - interval '3 years', CASE WHEN g < 3500 THEN 1 WHEN g < 7000 THEN 2 ELSE 3 END
FROM generate_series(0, 9999) g;
INSERT INTO rewards_pointsaccount (balance, pending, shortfall, created_at, company_id, tier_id)
SELECT 0, 0, 0, now(), id, 1 + (id % 4) FROM members_company WHERE external_id LIKE 'S%';
-- purchases: company weight skewed
CREATE TEMP TABLE w AS
SELECT id AS company_id, CASE WHEN external_id = 'S00000' THEN 40000 WHEN external_id = 'S00001' THEN 15000
  WHEN substr(external_id, 2)::int % 50 = 0 THEN 600 ELSE 60 + (substr(external_id, 2)::int % 40) END AS n
FROM members_company WHERE external_id LIKE 'S%';
INSERT INTO rewards_purchase (source, external_id, occurred_at, net_amount, currency, created_at, company_id)
SELECT 'staff-bench', w.company_id || '-' || g,
  now() - (random() * 730) * interval '1 day' - CASE WHEN w.company_id % 4 = 0 THEN interval '60 days' ELSE interval '0' END * random(),
  round((50 + random() * 5000)::numeric, 2), 'SEK', now(), w.company_id
FROM w, generate_series(1, w.n) g;
INSERT INTO rewards_ledgerentry (kind, points, pending_points, shortfall_points, idempotency_key, created_at,
  available_at, expires_at, account_id, purchase_id, memo_key, memo_params)
SELECT 'earn', (p.net_amount)::int, 0, 0, 'sb-earn-' || p.id, p.occurred_at, p.occurred_at,
  p.occurred_at + interval '2 years', a.id, p.id, 'ledger.purchase', jsonb_build_object('ref', p.external_id)
FROM rewards_purchase p JOIN rewards_pointsaccount a ON a.company_id = p.company_id WHERE p.source = 'staff-bench';
INSERT INTO rewards_ledgerentry (kind, points, pending_points, shortfall_points, idempotency_key, created_at,
  account_id, memo_key, memo_params)
SELECT 'redeem', -50, 0, 0, 'sb-redeem-' || p.id, p.occurred_at + interval '1 hour', a.id, 'ledger.redeem', '{}'::jsonb
FROM rewards_purchase p JOIN rewards_pointsaccount a ON a.company_id = p.company_id
WHERE p.source = 'staff-bench' AND p.id % 20 = 0;
UPDATE rewards_pointsaccount a SET balance = s.total FROM (
  SELECT account_id, greatest(sum(points), 0) AS total FROM rewards_ledgerentry GROUP BY account_id) s
WHERE s.account_id = a.id AND a.company_id IN (SELECT id FROM members_company WHERE external_id LIKE 'S%');
INSERT INTO messaging_thread (subject, created_at, last_message_at, message_count, email_checked_upto, company_id)
SELECT 'Hello', now() - interval '10 days', now() - interval '1 day', 2, 0, id
FROM members_company WHERE external_id LIKE 'S%' AND id % 5 = 0;
INSERT INTO messaging_message (body, created_at, author_id, thread_id)
SELECT 'Hi', t.created_at + g * interval '1 hour', NULL, t.id
FROM messaging_thread t JOIN members_company c ON c.id = t.company_id, generate_series(1, 2) g WHERE c.external_id LIKE 'S%';
COMMIT;
ANALYZE;
