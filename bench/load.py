"""Many users at once: N real Chromium sessions against one real `streamlit run app/main.py`.

Each user, each round, in a new browser context (no cookie): opens the app, logs in (one click),
reloads the moment the dashboard appears, switches to another page (or, for a role with only the
dashboard, to the weekly view), and reloads again. Reported: lost logins (no dashboard within 30 s
of one click and the form still there), late logins (no dashboard within 30 s, but the form gone:
the app took the click and the browser is still drawing), lost sessions (the login page after a reload), page times seen by the browser
(p50/p95), the server's CPU seconds per page view (from /proc/<pid>/stat of the streamlit process)
and the p95 of the script runs the app measured itself (its `script run` log lines). The browsers
run at a lower CPU priority than the server (`nice`), as they would on other machines.
Baseline in the same run: the same rounds with 1 user. Users take the demo accounts in turn
(8 users: two sessions per account, logging in at the same moment).

`python -m bench.load [--users 8] [--rounds 10] [--backend sqlite|postgres] [--scale 1]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.app_server import running_app
from bench.scratch_db import scratch_database

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOGIN_WAIT_MS = 30_000
PAGE_WAIT_MS = 120_000
RUN_LINE = re.compile(r"script run page=(?P<page>.*?) role=(?P<role>\S+) ms=(?P<ms>[\d.]+)")
METRIC = '[data-testid="stMetricValue"]'
LOGIN_BUTTON = 'button:has-text("Entrar")'
# Signed in, on whichever page a reload lands (the dashboard is not the only one with a session).
SIGNED_IN = 'button:has-text("Cerrar sesión")'
LOGOUT_BUTTON = 'button:has-text("Cerrar sesión")'
SHOTS = os.environ.get("BENCH_LOAD_SHOTS")  # a folder: a screenshot of every stuck session
# The browsers are the load generator: in production they run on the users' machines, here on the
# server's two cores. They run at a lower priority than the server (which keeps the default), so
# that the figures measure the app rather than Chromium drawing eight pages on the same cores.
BROWSER_NICE = 10
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


@dataclass
class Tally:
    page_s: list[float] = field(default_factory=list)
    lost_logins: int = 0
    late_logins: int = 0
    lost_sessions: int = 0
    views: int = 0
    notes: list[str] = field(default_factory=list)


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _timed(tally: Tally, coro) -> None:
    t0 = time.perf_counter()
    await coro
    tally.page_s.append(time.perf_counter() - t0)
    tally.views += 1


async def _dashboard_or_login(page, timeout: float = PAGE_WAIT_MS) -> str:
    """Which one the page settles on after a reload: "dashboard" (signed in) or "login"."""
    found = await page.wait_for_selector(f"{SIGNED_IN}, {LOGIN_BUTTON}", timeout=timeout)
    text = await found.inner_text()
    return "login" if text.strip() == "Entrar" else "dashboard"


async def _login(page, email: str, password: str, tally: Tally, user: int) -> None:
    await page.fill('input[aria-label="Correo electrónico"]', email)
    await page.fill('input[aria-label="Contraseña"]', password)
    t0 = time.perf_counter()
    await page.click(LOGIN_BUTTON)
    try:
        await page.wait_for_selector(METRIC, timeout=LOGIN_WAIT_MS)
    except Exception:  # noqa: BLE001 - Playwright's timeout: no dashboard within 30 s
        still_form = await page.locator(LOGIN_BUTTON).count() > 0
        if still_form:
            tally.lost_logins += 1  # the click did nothing: a person clicks again
        else:
            tally.late_logins += 1  # the app took it, the browser is still drawing
        tally.notes.append(f"user {user}: no dashboard within 30 s of one click on Entrar "
                           f"({'the login form still there' if still_form else 'the form gone, no dashboard yet'})")
        if SHOTS:
            await page.screenshot(path=f"{SHOTS}/login-user{user}-{time.time():.0f}.png")
        if still_form:
            await page.click(LOGIN_BUTTON)  # a person would click again
        await page.wait_for_selector(METRIC, timeout=PAGE_WAIT_MS)
    tally.page_s.append(time.perf_counter() - t0)
    tally.views += 1


async def _reload(page, email: str, password: str, tally: Tally, user: int, when: str) -> None:
    t0 = time.perf_counter()
    await page.reload()
    landed = await _dashboard_or_login(page)
    tally.page_s.append(time.perf_counter() - t0)
    tally.views += 1
    if landed == "login":
        tally.lost_sessions += 1
        tally.notes.append(f"user {user}: login page after the reload {when}")
        await page.wait_for_selector(IDLE)
        await _login(page, email, password, Tally(), user)


async def _other_view(page, tally: Tally) -> None:
    """Another page from the navigation, or the weekly chart for a role that only has the dashboard."""
    await page.wait_for_selector(IDLE)
    hrefs = await page.locator('[data-testid="stSidebarNav"] a').evaluate_all(
        "els => els.map(e => new URL(e.href).pathname)")
    other = next((h for h in hrefs if h.strip("/")), None)  # the dashboard is the default page, "/"
    t0 = time.perf_counter()
    if other:
        await page.locator(f'[data-testid="stSidebarNav"] a[href$="{other}"]').first.click()
        await page.wait_for_function(
            "() => { const h = document.querySelector('h1'); return h && !h.innerText.includes('Tablero'); }",
            timeout=PAGE_WAIT_MS)
    else:
        await page.get_by_text("Semana", exact=True).first.click()
        await page.get_by_text("Incompleta en el periodo").or_(page.get_by_text("Completa")).first.wait_for(
            timeout=PAGE_WAIT_MS)
    await page.wait_for_selector(IDLE, timeout=PAGE_WAIT_MS)
    tally.page_s.append(time.perf_counter() - t0)
    tally.views += 1


async def _one_user(browser, url: str, user: int, email: str, password: str, tally: Tally, start: asyncio.Event):
    context = await browser.new_context(locale="es-MX", viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    page.set_default_timeout(PAGE_WAIT_MS)
    try:
        await start.wait()
        await _timed(tally, page.goto(url))
        await page.wait_for_selector(LOGIN_BUTTON)
        await page.wait_for_selector(IDLE)
        await _login(page, email, password, tally, user)
        await _reload(page, email, password, tally, user, "the moment the dashboard appeared")
        await page.wait_for_selector(METRIC)
        await _other_view(page, tally)
        await _reload(page, email, password, tally, user, "on another view")
    except Exception as exc:  # noqa: BLE001 - a stuck session is counted, the bench goes on
        tally.lost_sessions += 1
        tally.notes.append(f"user {user}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
        if SHOTS:
            await page.screenshot(path=f"{SHOTS}/user{user}-{time.time():.0f}.png", full_page=True)
    finally:
        await context.close()


async def _rounds(url: str, users: int, rounds: int, accounts: list[str], password: str) -> Tally:
    from playwright.async_api import async_playwright

    tally = Tally()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for _ in range(rounds):
                start = asyncio.Event()
                tasks = [asyncio.create_task(_one_user(browser, url, i, accounts[i % len(accounts)],
                                                       password, tally, start)) for i in range(users)]
                await asyncio.sleep(0.5)  # every context open: they start together
                start.set()
                await asyncio.gather(*tasks)
        finally:
            await browser.close()
    return tally


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _server_runs(log_path: Path, start: int) -> list[float]:
    text = log_path.read_text(errors="replace")[start:]
    return [float(m["ms"]) / 1000 for m in RUN_LINE.finditer(text)]


def _phase(url: str, proc, log_path: Path, users: int, rounds: int, accounts: list[str], password: str) -> dict:
    log_at = len(log_path.read_text(errors="replace"))
    cpu0, t0 = _cpu_s(proc.pid), time.perf_counter()
    tally = asyncio.run(_rounds(url, users, rounds, accounts, password))
    cpu, wall = _cpu_s(proc.pid) - cpu0, time.perf_counter() - t0
    runs = _server_runs(log_path, log_at)
    return {
        "users": users, "rounds": rounds, "views": tally.views, "wall_s": round(wall, 1),
        "lost_logins": tally.lost_logins, "late_logins": tally.late_logins, "lost_sessions": tally.lost_sessions,
        "cpu_s": round(cpu, 2), "cpu_per_view_s": round(cpu / max(tally.views, 1), 3),
        "server_runs": len(runs), "server_runs_per_view": round(len(runs) / max(tally.views, 1), 2),
        "server_run_p50_s": _round(_percentile(runs, 0.5)), "server_run_p95_s": _round(_percentile(runs, 0.95)),
        "browser_p50_s": _round(_percentile(tally.page_s, 0.5)),
        "browser_p95_s": _round(_percentile(tally.page_s, 0.95)),
        "notes": tally.notes[:20],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _load_avg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def _exit_on_sigterm() -> None:
    """`kill` ends the bench through its `finally` blocks: server stopped, scratch database dropped."""
    def stop(signum, frame):
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, stop)


def main(argv: list[str] | None = None) -> int:
    _exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--scale", type=float, default=1.0, help="demo ERP scale (1 = the embedded default)")
    args = parser.parse_args(argv)

    from core.users import DEMO_ACCOUNTS, DEMO_PASSWORD

    accounts = [email for email, _name in DEMO_ACCOUNTS.values()]
    with scratch_database(args.backend) as db_url, tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": db_url, "APP_ENV": "development", "ERP_SOURCE": "demo",
               "DEMO_SCALE": str(args.scale), "STORAGE_DIR": f"{tmp}/storage", "PYTHONUNBUFFERED": "1"}
        for name in ("REDIS_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
            env.pop(name, None)
        subprocess.run([sys.executable, "-m", "core", "init-db"], cwd=ROOT, env=env, check=True)
        subprocess.run([sys.executable, "-m", "core", "seed-demo", "--scale", str(args.scale)],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        log_path = Path(tmp) / "server.log"
        load_before = _load_avg()
        with running_app(env, log_path, start_timeout_s=120) as (url, proc):
            os.nice(BROWSER_NICE)  # this process and the browsers it starts from now on; not the server
            _phase(url, proc, log_path, 1, 1, accounts, DEMO_PASSWORD)  # warm-up: caches, imports
            one = _phase(url, proc, log_path, 1, args.rounds, accounts, DEMO_PASSWORD)
            print(f"1 user × {args.rounds} rounds: {json.dumps(one)}", flush=True)
            many = _phase(url, proc, log_path, args.users, args.rounds, accounts, DEMO_PASSWORD)
            print(f"{args.users} users × {args.rounds} rounds: {json.dumps(many)}", flush=True)
    figures = {
        "lost_logins": many["lost_logins"], "late_logins": many["late_logins"],
        "lost_sessions": many["lost_sessions"],
        "cpu_per_view_s": many["cpu_per_view_s"], "cpu_per_view_s_1_user": one["cpu_per_view_s"],
        "server_run_p95_s": many["server_run_p95_s"], "server_run_p95_s_1_user": one["server_run_p95_s"],
        "browser_p50_s": many["browser_p50_s"], "browser_p95_s": many["browser_p95_s"],
        "browser_p50_s_1_user": one["browser_p50_s"], "browser_p95_s_1_user": one["browser_p95_s"],
        "server_runs_per_view": many["server_runs_per_view"], "views": many["views"],
        "users": args.users, "rounds": args.rounds,
        "load_avg_before": load_before, "load_avg_after": _load_avg(),
    }
    ratios = {
        "cpu_per_view_vs_1_user": _ratio(many["cpu_per_view_s"], one["cpu_per_view_s"]),
        "browser_p50_vs_1_user": _ratio(many["browser_p50_s"], one["browser_p50_s"]),
        "browser_p95_vs_1_user": _ratio(many["browser_p95_s"], one["browser_p95_s"]),
        "server_run_p95_vs_1_user": _ratio(many["server_run_p95_s"], one["server_run_p95_s"]),
    }
    print(json.dumps({"bench": "load", "params": vars(args), "figures": figures, "ratios": ratios}))
    return 0


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


if __name__ == "__main__":
    sys.exit(main())
