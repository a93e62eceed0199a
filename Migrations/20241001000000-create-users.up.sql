-- Creates the users table (login accounts for staff and customers) and its role enum.
CREATE TYPE enum_users_role AS ENUM ('admin', 'support', 'customer');

CREATE TABLE users (
    id                    uuid                     NOT NULL DEFAULT gen_random_uuid(),
    username              varchar(50)              NOT NULL,
    email                 varchar(255)             NOT NULL,
    password              varchar(255)             NOT NULL,
    first_name            varchar(100)             NULL,
    last_name             varchar(100)             NULL,
    phone_number          varchar(20)              NULL,
    role                  enum_users_role          NOT NULL DEFAULT 'customer',
    is_active             boolean                  NOT NULL DEFAULT true,
    is_email_verified     boolean                  NOT NULL DEFAULT false,
    is_phone_verified     boolean                  NOT NULL DEFAULT false,
    mfa_enabled           boolean                  NOT NULL DEFAULT false,
    mfa_secret            varchar(255)             NULL,
    last_login_at         timestamptz              NULL,
    last_login_ip         varchar(45)              NULL,
    password_changed_at   timestamptz              NULL,
    failed_login_attempts integer                  NOT NULL DEFAULT 0,
    locked_until          timestamptz              NULL,
    created_at            timestamptz              NOT NULL DEFAULT now(),
    updated_at            timestamptz              NOT NULL DEFAULT now(),
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE INDEX users_email ON users (email);
CREATE INDEX users_username ON users (username);
CREATE INDEX users_role ON users (role);
