CREATE TABLE "writing_word_ranges" (
	"document_name" text NOT NULL,
	"client_id" bigint NOT NULL,
	"clock_from" bigint NOT NULL,
	"clock_to" bigint NOT NULL,
	"user_id" text NOT NULL,
	"words_added" integer NOT NULL,
	"words_removed" integer NOT NULL,
	"words_net" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "writing_word_ranges_client_idx" ON "writing_word_ranges" USING btree ("document_name","client_id","clock_to");--> statement-breakpoint
CREATE INDEX "writing_word_ranges_created_idx" ON "writing_word_ranges" USING btree ("created_at");