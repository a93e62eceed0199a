-- Drops the users table and its role enum.
DROP TABLE IF EXISTS users;
DROP TYPE IF EXISTS enum_users_role;
