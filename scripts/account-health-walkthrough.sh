#!/bin/sh
# One account end to end against a running server (`make run`; B= and DATA= point elsewhere):
# account, finance, a deal with its meetings and tickets, the health, the band job, the
# action taken, the 409 on a new deal, the finance red flag, an admin unfreeze. Needs jq.
set -e
B=${B:-http://127.0.0.1:8000}; K=$(cat ${DATA:-data}/admin_key)
H="Authorization: Bearer $K"; J='Content-Type: application/json'
ago() { python3 -c "import datetime,sys; print((datetime.datetime.now(datetime.UTC)-datetime.timedelta(days=int(sys.argv[1]))).isoformat())" $1; }
curl -s -X PUT $B/api/v1/settings/scoring -H "$H" -H "$J" -d '{"account_actions":
  {"presales": "presales@acme.cn", "team_vps": {"li.jingli@acme.cn": "vp.east@acme.cn"}}}' >/dev/null
curl -s -X PUT $B/api/v1/accounts/ACC-SZ-001 -H "$H" -H "$J" -d '{"name": "苏州精工机械",
  "industry": "制造业", "annual_revenue": "5000000", "currency": "CNY", "industry_growth_pct": -8,
  "contract_start": "2024-06-01", "product_lines": ["MES"], "kol_contact_ids": ["c-zhou"],
  "owner": "zhang.wei@acme.cn"}' >/dev/null
curl -s -X PUT $B/api/v1/accounts/ACC-SZ-001/finance -H "$H" -H "$J" -d "{\"as_of\": \"$(date -u +%F)\",
  \"on_time_payment_rate\": 0.62, \"receivables_outstanding\": \"380000\", \"credit_limit\": \"500000\",
  \"credit_used\": \"410000\", \"currency\": \"CNY\", \"payment_delay_days\": 42}" >/dev/null
curl -s -X PUT $B/api/v1/opportunities/OPP-SZ-7 -H "$H" -H "$J" -d "{\"account\": \"ACC-SZ-001\",
  \"amount\": \"260000\", \"currency\": \"CNY\", \"stage\": \"proposal\", \"probability\": 50,
  \"forecast_category\": \"commit\", \"owner\": \"zhang.wei@acme.cn\", \"manager\": \"li.jingli@acme.cn\",
  \"updated_at\": \"$(ago 1)\", \"expected_close_date\": \"$(date -u +%F)\",
  \"contacts\": [{\"id\": \"c-zhou\", \"name\": \"周总\", \"email\": \"zhou@szjg.cn\", \"role\": \"厂长\", \"is_decision_maker\": true}]}" >/dev/null
ITEMS=""
for m in "m1 3 true" "m2 12 false" "m3 30 false" "m4 50 false"; do set -- $m
  ITEMS="$ITEMS{\"id\": \"$1\", \"opportunity_id\": \"OPP-SZ-7\", \"type\": \"meeting\", \"occurred_at\": \"$(ago $2)\", \"attendees\": [\"c-li\"], \"held\": $3},"; done
for d in 2 5 9 16 24 40 70 100 130 160 190; do
  ITEMS="$ITEMS{\"id\": \"t-$d\", \"opportunity_id\": \"OPP-SZ-7\", \"type\": \"service_request\", \"occurred_at\": \"$(ago $d)\"},"; done
curl -s -X POST $B/api/v1/activities -H "$H" -H "$J" -d "{\"items\": [${ITEMS%,}]}" >/dev/null
echo '$ curl $B/api/v1/accounts/ACC-SZ-001/health'
curl -s $B/api/v1/accounts/ACC-SZ-001/health -H "$H" | jq -r '"\(.name)  health \(.value)  band \(.band)",
  (.pillars[] | "  \(.name) \(.code)  \(.value)  weight \(.weight)",
    (.parts[] | "      \(.code): \(.score)  \(.summary)"))'
echo '$ curl -X POST $B/api/v1/jobs/account-bands/run'
curl -s -X POST $B/api/v1/jobs/account-bands/run -H "$H"; echo
echo '$ curl $B/api/v1/accounts/ACC-SZ-001/actions'
curl -s $B/api/v1/accounts/ACC-SZ-001/actions -H "$H" | jq -r '(.bands[] | "band \(.previous_band) -> \(.band) (\(.value))  \(.change_key)"),
  (.actions[] | "  \(.kind): \(.detail)  people=\(.people) todos=\(.todo_ids | length) notices=\(.notices)")'
echo '$ curl -X PUT $B/api/v1/opportunities/OPP-SZ-8   (a new deal for the red account)'
curl -s -X PUT $B/api/v1/opportunities/OPP-SZ-8 -H "$H" -H "$J" -w ' -> HTTP %{http_code}\n' -d "{\"account\": \"ACC-SZ-001\",
  \"amount\": \"90000\", \"currency\": \"CNY\", \"stage\": \"prospecting\", \"probability\": 10,
  \"forecast_category\": \"pipeline\", \"owner\": \"zhang.wei@acme.cn\", \"updated_at\": \"$(ago 0)\"}"
echo '$ curl $B/api/v1/opportunities/OPP-SZ-7/forecast   (risk_flag only)'
curl -s $B/api/v1/opportunities/OPP-SZ-7/forecast -H "$H" | jq -r '.risk_flag | "\(.flag), finance as of \(.finance_as_of)",
  (.reasons[] | "  \(.code): \(.summary)")'
echo '$ curl -X POST $B/api/v1/accounts/ACC-SZ-001/unfreeze -d {"reason": …}'
curl -s -X POST $B/api/v1/accounts/ACC-SZ-001/unfreeze -H "$H" -H "$J" -d '{"reason": "VP 已介入，客户承诺月底前结清欠款"}'; echo
