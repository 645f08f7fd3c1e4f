CREATE TABLE "writing_word_journal" (
	"log_seq" bigint PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"project_id" text NOT NULL,
	"document_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"words_added" integer NOT NULL,
	"words_removed" integer NOT NULL,
	"words_net" integer NOT NULL,
	"replayable" boolean DEFAULT false NOT NULL,
	"counted" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE INDEX "writing_word_journal_uncounted_idx" ON "writing_word_journal" USING btree ("log_seq") WHERE not "writing_word_journal"."counted";