-- environments: development, production
-- Removes the admin and support staff users seeded by 01-admin-users.
DELETE FROM users WHERE username IN ('admin', 'support');
