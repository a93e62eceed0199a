-- Creates the refresh_tokens table (API session tokens of users).
CREATE TABLE refresh_tokens (
    id         uuid         NOT NULL DEFAULT gen_random_uuid(),
    user_id    uuid         NOT NULL,
    token      varchar(500) NOT NULL,
    expires_at timestamptz  NOT NULL,
    is_revoked boolean      NOT NULL DEFAULT false,
    ip_address varchar(45)  NULL,
    user_agent text         NULL,
    created_at timestamptz  NOT NULL DEFAULT now(),
    updated_at timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT refresh_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT refresh_tokens_token_key UNIQUE (token),
    CONSTRAINT refresh_tokens_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_token ON refresh_tokens (token);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);
