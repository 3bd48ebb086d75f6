package fr.cartable.app.state

/** The app's screens, in the order of the portal families know. */
enum class Screen(val title: String) {
    Planning("Mon planning"),
    Period("Réserver une période"),
    Absences("Absences"),
    Invoices("Mes factures"),
    Dossier("Mon dossier"),
    Documents("Mes documents"),
    Information("Informations"),
    Downloads("Téléchargements"),
    Account("Mon compte"),
}
