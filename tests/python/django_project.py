# SPDX-License-Identifier: LGPL-2.1-or-later
"""The small Django project the WSGI and asyncio tests serve: settings made
in code, and this module as ROOT_URLCONF. Django's settings are
process-wide, so each test module that serves it sets it up once."""

import asyncio
import json


def set_up():
    """Configures Django for this project, once per process."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY='asgiref-glib tests',
            ROOT_URLCONF=__name__,
            ALLOWED_HOSTS=['127.0.0.1', 'localhost'],
            MIDDLEWARE=[],
            INSTALLED_APPS=[],
            DATABASES={},
        )
        django.setup()


def _urls():
    from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
    from django.urls import path

    def hello(request, name):
        return HttpResponse('hello %s, page %s' % (name, request.GET.get('page', '1')))

    def form(request):
        return HttpResponse('form: %s' % request.POST['field'])

    def json_view(request):
        return JsonResponse({'got': json.loads(request.body), 'path': request.path})

    def stream(request):
        return StreamingHttpResponse(('line %d\n' % n for n in range(5)), content_type='text/plain')

    def cookie(request):
        response = HttpResponse('seen: %s' % request.COOKIES.get('visit', 'no'))
        response.set_cookie('visit', 'yes')
        return response

    async def async_view(request):
        await asyncio.sleep(0)
        return HttpResponse('async %s' % request.GET.get('n'))

    return [path('hello/<name>', hello), path('form', form), path('json', json_view),
            path('stream', stream), path('cookie', cookie), path('async', async_view)]


def __getattr__(name):
    # Django reads urlpatterns from this module once it is set up.
    if name == 'urlpatterns':
        return _urls()
    raise AttributeError(name)
