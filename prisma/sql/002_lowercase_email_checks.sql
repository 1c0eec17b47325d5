-- Emails are stored lower-case so that uniqueness and matching are case-insensitive.
ALTER TABLE "User" ADD CONSTRAINT "User_email_lowercase" CHECK ("email" = lower("email"));
ALTER TABLE "CallParticipant" ADD CONSTRAINT "CallParticipant_email_lowercase" CHECK ("email" = lower("email"));
