"""The clinic's web app (port 8000): the chat widget and its demo page (`bot.web.widget`) and the
reception screen (`bot.web.reception`), in one Starlette app (`bot.web.app.create_app`)."""
