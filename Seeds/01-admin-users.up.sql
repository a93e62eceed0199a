-- environments: development, production
-- Seeds the admin and support staff users (password Admin@123, bcrypt cost 12); skips users that already exist.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

INSERT INTO users (username, email, password, first_name, last_name, phone_number, role,
                   is_active, is_email_verified, is_phone_verified, mfa_enabled, password_changed_at)
SELECT v.username, v.email, crypt('Admin@123', gen_salt('bf', 12)), v.first_name, v.last_name,
       v.phone_number, v.role::enum_users_role, true, true, true, false, now()
FROM (VALUES
    ('admin',   'admin@balatrix.com',   'System',  'Administrator', '+919876543210', 'admin'),
    ('support', 'support@balatrix.com', 'Support', 'Team',          '+919876543211', 'support')
) AS v(username, email, first_name, last_name, phone_number, role)
WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.username = v.username OR u.email = v.email);
