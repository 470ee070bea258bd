"""Analytics over the store: active time, time by app/title/domain/category, productivity,
focus, trends, reports.

The engine is ``core.analytics.service.AnalyticsService`` (``Services.analytics``); the
package itself imports nothing, so a module that needs one piece (``localdays``,
``cache_rows``) loads only that.
"""
