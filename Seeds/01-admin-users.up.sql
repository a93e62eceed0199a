-- environments: development, production
-- Seeds the admin and support staff users (bcrypt cost 12); skips users that already exist.
-- Their passwords come from the seeder as settings of this transaction (cdr_rater.admin_password,
-- cdr_rater.support_password; a missing one fails the seed, there is no default here): in development the
-- documented Admin@123, in production CDR_RATER_ADMIN_PASSWORD / CDR_RATER_SUPPORT_PASSWORD or one generated
-- and shown once. In production password_changed_at stays NULL: the password is to be changed at the first login.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

INSERT INTO users (username, email, password, first_name, last_name, phone_number, role,
                   is_active, is_email_verified, is_phone_verified, mfa_enabled, password_changed_at)
SELECT v.username, v.email, crypt(current_setting('cdr_rater.' || v.username || '_password'), gen_salt('bf', 12)),
       v.first_name, v.last_name, v.phone_number, v.role::enum_users_role, true, true, true, false,
       CASE WHEN current_setting('cdr_rater.environment') = 'development' THEN now() END
FROM (VALUES
    ('admin',   'admin@balatrix.com',   'System',  'Administrator', '+919876543210', 'admin'),
    ('support', 'support@balatrix.com', 'Support', 'Team',          '+919876543211', 'support')
) AS v(username, email, first_name, last_name, phone_number, role)
WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.username = v.username OR u.email = v.email);
