"""The base of every form in the project."""

from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict


class Form(FlaskForm):
    """A form that reads the submitted form fields, and nothing else.

    Flask-WTF also hands a form ``request.files`` and a JSON body; none of ours
    takes either. A file part sent in a text field used to reach the validators as
    a ``FileStorage`` (and ``Length`` failed on it with a 500), a JSON body as
    whatever values it had. Read as form fields only, such a field is simply
    missing, and the usual "required" message says so.
    """

    class Meta:
        def wrap_formdata(self, form: FlaskForm, formdata: object) -> MultiDict | None:
            if formdata is None or hasattr(formdata, "getlist"):
                return formdata  # the caller's own (the API passes its JSON so), or none
            # Otherwise Flask-WTF would read the request: its form fields only, then.
            return request.form if form.is_submitted() and request.form else None
