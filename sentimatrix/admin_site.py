from django.contrib.admin import AdminSite


class SentimatrixAdminSite(AdminSite):
    site_header = "Sentimatrix Studio — support"
    site_title = "Sentimatrix Studio"
    index_title = "Support"
