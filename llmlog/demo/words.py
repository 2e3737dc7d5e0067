"""Word lists the demo's texts are assembled from: a SaaS help desk and its customers."""

from __future__ import annotations

TENANTS = (
    "acme", "globex", "initech", "umbrella", "hooli", "stark-industries", "wayne-enterprises",
    "wonka", "soylent", "tyrell", "cyberdyne", "oscorp", "aperture", "black-mesa", "vandelay",
    "dunder-mifflin", "pied-piper", "massive-dynamic", "monarch", "nakatomi", "bluth-company",
    "sterling-cooper", "planet-express", "virtucon", "rekall", "weyland-yutani", "ingen",
    "spacely-sprockets", "cogswell-cogs", "wernham-hogg", "octan", "zorg-industries",
    "gringotts", "prestige-worldwide", "los-pollos", "krusty-krab", "duff", "lacuna",
    "initrode", "chotchkies",
)  # fmt: skip

FIRST_NAMES = (
    "Maya", "Jonas", "Priya", "Tom", "Aisha", "Lukas", "Sofia", "Daniel", "Mei", "Carlos",
    "Hannah", "Omar", "Elena", "Kenji", "Grace", "Mateo", "Chloe", "Ravi", "Ingrid", "Noah",
    "Fatima", "Oliver", "Yara", "Ben", "Leila", "Felix", "Nora", "Samuel", "Zoe", "Arjun",
)  # fmt: skip

LAST_NAMES = (
    "Fischer", "Patel", "Okafor", "Nguyen", "Schmidt", "Garcia", "Kowalski", "Tanaka",
    "Johansson", "Rossi", "Haddad", "Murphy", "Silva", "Novak", "Becker", "Kim", "Dubois",
    "Costa", "Weber", "Larsen",
)  # fmt: skip

AGENTS = ("Sam", "Alex", "Jordan", "Robin", "Taylor", "Casey", "Morgan", "Jamie")

PLANS = ("Starter", "Team", "Business", "Enterprise")

PRODUCT_AREAS = {
    "billing": (
        "we were charged twice for the {month} invoice",
        "the invoice total does not match the number of seats we have",
        "our card was declined even though it works everywhere else",
        "the VAT number is missing from our invoices",
        "we downgraded to {plan} but are still billed for the old plan",
    ),
    "authentication": (
        "nobody on the team can log in with SSO",
        "the SAML assertion is rejected with 'audience mismatch'",
        "two-factor codes from the authenticator app are always invalid",
        "password reset e-mails never arrive",
        "users get logged out every few minutes",
    ),
    "exports": (
        "the CSV export stops at 10,000 rows",
        "scheduled exports to S3 fail with AccessDenied",
        "exported dates are shifted by one day",
        "the PDF report is missing the charts",
    ),
    "integrations": (
        "the Slack integration stopped posting alerts",
        "webhooks are delivered twice",
        "the Salesforce sync skips contacts created via the API",
        "the Zapier trigger fires with an empty payload",
    ),
    "api": (
        "the API returns 502 errors for about one request in twenty",
        "pagination on /v2/orders returns the same page twice",
        "rate limits seem much lower than the documented 600 requests per minute",
        "new API keys are rejected with 401 for several minutes after creation",
    ),
    "dashboards": (
        "the revenue dashboard shows numbers that differ from the export",
        "dashboards take more than 30 seconds to load",
        "filters on the team dashboard reset after every refresh",
    ),
    "mobile": (
        "the iOS app crashes when opening a shared report",
        "push notifications arrive hours late on Android",
        "offline mode loses edits made on the train",
    ),
}

WHEN = (
    "yesterday afternoon", "this morning", "the last release", "Monday", "about a week ago",
    "we migrated our workspace", "we added the new team members", "the maintenance window",
)  # fmt: skip

# How bad it is, in the customer's words, and the priority triage should give it.
IMPACT = (
    ("This blocks our whole finance team from closing the month.", "P2"),
    ("Around 40 people are affected and we have a customer demo tomorrow.", "P2"),
    ("It is not urgent but it is annoying and keeps coming back.", "P4"),
    ("We are losing orders because of this, please treat it as high priority.", "P1"),
    ("Our auditors need this fixed before the end of the quarter.", "P3"),
    ("Only a handful of users see it, but they are our admins.", "P3"),
)  # fmt: skip

TRIED = (
    "clearing the browser cache and logging in again",
    "regenerating the API key",
    "removing and re-adding the integration",
    "following the steps in your help center article",
    "switching to a different browser and network",
    "contacting our IT department, who say everything is fine on our side",
)  # fmt: skip

CLOSINGS = (
    "Thanks for your help.", "Looking forward to a quick answer.", "Best regards,",
    "Please call me if that is easier.", "Cheers,", "Many thanks in advance.",
)  # fmt: skip

SENTIMENTS = ("neutral", "frustrated", "angry", "calm", "confused")
TEAMS = {
    "billing": "billing-ops",
    "authentication": "identity",
    "exports": "data-platform",
    "integrations": "integrations",
    "api": "api-platform",
    "dashboards": "analytics",
    "mobile": "mobile",
}

MONTHS = ("August", "September", "October", "November")

KB_ARTICLES = (
    ("Refunds and credits", "Refunds are issued to the original payment method within 5-10 "
     "business days. Annual plans can be refunded pro rata within 30 days of renewal; after "
     "that, unused time is converted into account credit."),
    ("Changing your plan", "Upgrades take effect immediately and are prorated to the day. "
     "Downgrades take effect at the end of the current billing period, so you keep the "
     "features you paid for until then."),
    ("Setting up SAML SSO", "Enter the IdP metadata URL under Settings > Security. The "
     "audience URI must be exactly https://app.example.com/saml/metadata. Users keep their "
     "existing sessions until they expire, which takes up to 12 hours."),
    ("Export limits", "Interactive CSV exports are limited to 10,000 rows. For larger exports "
     "use a scheduled export to S3 or GCS, which has no row limit and runs every hour."),
    ("API rate limits", "Each API key may send 600 requests per minute on Business and "
     "Enterprise plans and 120 per minute on Starter and Team. Responses include "
     "X-RateLimit-Remaining; a 429 means you should wait for the Retry-After seconds."),
    ("Webhook delivery", "Webhooks are delivered at least once. Use the X-Event-Id header to "
     "de-duplicate. Failed deliveries are retried with exponential backoff for 24 hours."),
    ("Two-factor authentication", "Codes are time based; if they are always rejected, the "
     "phone's clock is usually out of sync. Admins can reset 2FA for a user from the "
     "Members page."),
    ("Data retention", "Deleted projects are kept for 30 days and can be restored by an "
     "admin. After 30 days they are purged, including backups, within 7 more days."),
    ("Seat management", "Admins can add seats at any time; new seats are billed pro rata. "
     "Removing a seat frees it at once but credits are only applied at the next renewal."),
    ("Invoices and VAT", "Add your VAT number under Billing > Company details before the "
     "invoice is issued. Past invoices can be re-issued with the VAT number on request."),
    ("Slow dashboards", "Dashboards over more than 12 months of data are computed on demand. "
     "Pin the dashboard to get it precomputed every hour; filters are then saved per user."),
    ("Mobile app troubleshooting", "Update to the latest app version first. Crash reports "
     "are sent automatically; offline edits sync when the app is opened on a network."),
)  # fmt: skip

# The knowledge base articles (indexes into KB_ARTICLES) that answer each product area.
AREA_ARTICLES = {
    "billing": (0, 8, 9), "authentication": (2, 6), "exports": (3,), "integrations": (5,),
    "api": (4,), "dashboards": (10,), "mobile": (11,),
}  # fmt: skip

QUESTIONS = (
    ("Can I get a refund if I cancel my annual plan two weeks after renewal?", 0),
    ("When does a downgrade from Business to Team take effect?", 1),
    ("What audience URI do I need for SAML with Okta?", 2),
    ("How do I export more than 10k rows?", 3),
    ("Why am I getting 429 responses from the API?", 4),
    ("We receive the same webhook twice, is that a bug?", 5),
    ("My 2FA codes are never accepted, what can I do?", 6),
    ("Can I restore a project I deleted last week?", 7),
    ("How are extra seats billed in the middle of the month?", 8),
    ("How do I get our VAT number onto old invoices?", 9),
)  # fmt: skip

SQL_TABLES = {
    "orders": "orders(id bigint, customer_id bigint, created_at timestamptz, status text, "
    "total_cents bigint, currency text, region text)",
    "customers": "customers(id bigint, name text, plan text, signed_up_at timestamptz, "
    "country text, churned_at timestamptz)",
    "subscriptions": "subscriptions(id bigint, customer_id bigint, plan text, seats int, "
    "started_at timestamptz, cancelled_at timestamptz, mrr_cents bigint)",
    "tickets": "tickets(id bigint, customer_id bigint, opened_at timestamptz, closed_at "
    "timestamptz, priority text, area text, csat smallint)",
    "events": "events(id bigint, customer_id bigint, ts timestamptz, name text, props jsonb)",
}

SQL_QUESTIONS = (
    ("How many orders did we get per region last month?",
     "SELECT region, count(*) AS orders\nFROM orders\n"
     "WHERE created_at >= date_trunc('month', now()) - interval '1 month'\n"
     "  AND created_at < date_trunc('month', now())\nGROUP BY region\nORDER BY orders DESC;"),
    ("What is our MRR by plan right now?",
     "SELECT plan, sum(mrr_cents) / 100.0 AS mrr\nFROM subscriptions\n"
     "WHERE cancelled_at IS NULL\nGROUP BY plan\nORDER BY mrr DESC;"),
    ("Which customers churned in the last 90 days and what plan were they on?",
     "SELECT name, plan, churned_at\nFROM customers\n"
     "WHERE churned_at >= now() - interval '90 days'\nORDER BY churned_at DESC;"),
    ("Average time to close a ticket by priority this quarter?",
     "SELECT priority, avg(closed_at - opened_at) AS avg_time_to_close\nFROM tickets\n"
     "WHERE opened_at >= date_trunc('quarter', now()) AND closed_at IS NOT NULL\n"
     "GROUP BY priority\nORDER BY priority;"),
    ("Top 10 customers by revenue this year, with their country",
     "SELECT c.name, c.country, sum(o.total_cents) / 100.0 AS revenue\n"
     "FROM orders o JOIN customers c ON c.id = o.customer_id\n"
     "WHERE o.created_at >= date_trunc('year', now()) AND o.status = 'paid'\n"
     "GROUP BY c.name, c.country\nORDER BY revenue DESC\nLIMIT 10;"),
    ("Weekly active customers over the last 8 weeks",
     "SELECT date_trunc('week', ts) AS week, count(DISTINCT customer_id) AS active\n"
     "FROM events\nWHERE ts >= now() - interval '8 weeks'\nGROUP BY week\nORDER BY week;"),
    ("Which areas have the worst CSAT scores?",
     "SELECT area, avg(csat) AS avg_csat, count(*) AS tickets\nFROM tickets\n"
     "WHERE csat IS NOT NULL\nGROUP BY area\nHAVING count(*) >= 20\nORDER BY avg_csat;"),
    ("How many seats did Enterprise customers add last month?",
     "SELECT sum(seats) AS seats_added\nFROM subscriptions\n"
     "WHERE plan = 'Enterprise'\n"
     "  AND started_at >= date_trunc('month', now()) - interval '1 month'\n"
     "  AND started_at < date_trunc('month', now());"),
)  # fmt: skip

INTENTS = (
    ("I want to cancel my subscription", "cancel_subscription"),
    ("where is my invoice for last month", "billing_question"),
    ("the app keeps crashing on my phone", "bug_report"),
    ("can you add dark mode please", "feature_request"),
    ("how do I add a new user to my team", "how_to"),
    ("I was charged twice!!", "billing_dispute"),
    ("talk to a human", "escalate"),
    ("my order hasn't arrived", "order_status"),
    ("is there an outage right now?", "status_check"),
    ("reset my password", "account_access"),
)  # fmt: skip

VENDORS = (
    "Northwind Traders GmbH", "Contoso Office Supply", "Fabrikam Cloud Services",
    "Tailspin Logistics", "Litware Consulting", "Adventure Works Hardware",
)  # fmt: skip

LINE_ITEMS = (
    ("Cloud hosting, standard tier", 42000),
    ("Support retainer (monthly)", 150000),
    ("Laptop stand, aluminium", 4999),
    ("USB-C docking station", 18900),
    ("Freight and handling", 2500),
    ("Consulting hours", 12000),
    ("Software licence, annual", 89000),
    ("Office chairs", 32900),
)  # fmt: skip

MEETING_TOPICS = (
    "Q4 roadmap review", "incident review: SSO outage", "pricing page redesign",
    "onboarding funnel", "enterprise renewal with a key account", "hiring plan for support",
)  # fmt: skip

MEETING_LINES = (
    "we should ship {thing} before the holiday freeze",
    "the numbers for {thing} look better than expected, conversion is up about 8 percent",
    "I am worried that {thing} will slip again if we do not get design time",
    "legal still needs to review {thing}",
    "can someone own the follow-up on {thing}?",
    "customers keep asking about {thing} in their renewal calls",
    "let's timebox {thing} to two weeks and then decide",
)  # fmt: skip

MEETING_THINGS = (
    "the new billing page", "SAML self-service", "the usage-based plan", "the mobile offline "
    "mode", "the status page", "the API v3 migration", "the support macro cleanup",
)  # fmt: skip

FEEDBACK_DOWN = {
    "ticket_summary": ("too long", "I just need the gist", "missed the refund request",
                       "wrong customer name"),
    "reply_draft": ("tone is too formal", "promised a refund we don't offer", "wrong plan name",
                    "didn't answer the actual question"),
    "rag_answer": ("made up a policy", "cited the wrong article", "didn't answer the question",
                   "outdated information"),
    "sql_helper": ("query doesn't run", "wrong join", "forgot the date filter"),
    "meeting_notes": ("missed an action item", "attributed the task to the wrong person"),
}  # fmt: skip

FEEDBACK_UP = ("perfect", "saved me 10 minutes", "exactly what I needed", "great summary")

REFUSALS = (
    "I'm sorry, but I can't help with that request.",
    "I can't share another customer's account details.",
    "I'm not able to provide legal advice. Please consult your legal team.",
    "I can't help with bypassing the account's security settings.",
)  # fmt: skip
