"""The framework's own ceiling for ``api_php.sh``: a bare FastAPI endpoint that parses the same
urlencoded form (Starlette's ``request.form()``, python-multipart) and answers JSON, with no
database, authentication or logging. Served like geninvoices, by uvicorn with ``--workers 2``:

    .venv/bin/uvicorn --workers 2 --no-access-log benchmarks.bare_app:app
"""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.api_route("/includes/api.php", methods=["GET", "POST"])
async def api_php(request: Request) -> JSONResponse:
    form = await request.form()
    return JSONResponse({"result": "success", "setting": form.get("setting"),
                         "value": "Bench Hosting"})
