"""One APIRouter per area of the application."""

from . import admin, auth, health, outcomes, patients, plans, simulations

ALL = [health.router, auth.router, admin.router, patients.router, plans.router,
       simulations.router, outcomes.router]
