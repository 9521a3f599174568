import os

from django.core.wsgi import get_wsgi_application

from searchapp.server import BodyDeadline

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "searchapp.settings")
# A request body that stalls or trickles is dropped with a 408 (see searchapp.server).
application = BodyDeadline(get_wsgi_application())
