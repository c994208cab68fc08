-- The article's main text fetched from its page (feeds with full_content),
-- kept beside the feed's own summary in content; '' when none.
ALTER TABLE items ADD COLUMN full_content TEXT NOT NULL DEFAULT '';
