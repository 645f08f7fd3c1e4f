CREATE TABLE "document_clients" (
	"document_name" text NOT NULL,
	"client_id" bigint NOT NULL,
	"user_id" text NOT NULL,
	"first_seen_at" timestamp with time zone NOT NULL,
	CONSTRAINT "document_clients_pk" PRIMARY KEY("document_name","client_id")
);
