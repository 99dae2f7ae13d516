"""File formats the bot reads and writes, independent of Telegram and of the database."""
