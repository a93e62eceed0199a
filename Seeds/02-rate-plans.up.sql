-- environments: development, production
-- Seeds the three rate plans (Starter, Professional, Call Center); skips plans that already exist by name.
INSERT INTO rate_plans (name, description, plan_type, monthly_price, annual_price, setup_fee,
                        included_minutes, included_dids, max_concurrent_calls,
                        overage_rate_per_minute, did_monthly_rate, features, is_active)
VALUES
    ('Starter',
     'Entry-level prepaid plan for individuals and small teams: 500 minutes, 1 DID, 2 concurrent calls.',
     'prepaid', 349.00, 4008.00, 0,
     500, 1, 2, 0.5000, 99.00,
     '{"voicemail": true, "call_forwarding": true, "email_support": true, "basic_analytics": true}'::jsonb,
     true),
    ('Professional',
     'Prepaid plan for growing businesses: 2000 minutes, 3 DIDs, 5 concurrent calls, call recording, IVR and API access.',
     'prepaid', 999.00, 11508.00, 0,
     2000, 3, 5, 0.4000, 79.00,
     '{"voicemail": true, "call_forwarding": true, "email_support": true, "basic_analytics": true,
       "call_recording": true, "ivr": true, "api_access": true, "chat_support": true,
       "custom_greeting": true, "call_queuing": true}'::jsonb,
     true),
    ('Call Center',
     'Postpaid plan for call centers: 10000 minutes, 10 DIDs, 25 concurrent calls, auto dialer, CRM integration, 24x7 support with 99.9% SLA.',
     'postpaid', 4999.00, 49990.00, 0,
     10000, 10, 25, 0.3000, 49.00,
     '{"voicemail": true, "call_forwarding": true, "email_support": true, "basic_analytics": true,
       "call_recording": true, "ivr": true, "api_access": true, "chat_support": true,
       "custom_greeting": true, "call_queuing": true,
       "auto_dialer": true, "crm_integration": true, "advanced_reporting": true,
       "phone_support_24x7": true, "sla": "99.9%", "dedicated_account_manager": true}'::jsonb,
     true)
ON CONFLICT (name) DO NOTHING;
