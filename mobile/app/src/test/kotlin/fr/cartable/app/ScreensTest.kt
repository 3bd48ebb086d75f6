package fr.cartable.app

import fr.cartable.app.Demo.cells
import fr.cartable.app.Demo.clearWeek
import fr.cartable.app.Demo.isFree
import fr.cartable.app.state.FieldEdit
import fr.cartable.app.state.FieldKind
import fr.cartable.app.state.Screen
import fr.cartable.app.ui.CartableApp
import fr.cartable.mobile.CellState
import fr.cartable.mobile.ChildField
import fr.cartable.mobile.ReviewStatus
import fr.cartable.mobile.SupportingDocumentState
import java.time.LocalDate
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class ScreensTest {

    @Test
    fun `the dossier is edited and submitted, the review shown`() {
        val app = Demo.signedIn()
        runBlocking { app.show(Screen.Dossier) }
        val lea = app.dossier.dossier!!.children.single { it.firstName == "Léa" }
        app.dossier.edit(FieldEdit(lea.id, "Léa", "Allergies", FieldKind.Text, "", childField = ChildField.ALLERGIES))
        app.dossier.changeValue("arachide, kiwi")
        Screenshots.save("10-dossier-modification") { CartableApp(app, live = false) }
        runBlocking { app.dossier.saveEdit() }
        assertEquals(null, app.dossier.editing, "${app.dossier.error}")
        assertEquals(listOf("arachide", "kiwi"), app.dossier.dossier!!.children.single { it.id == lea.id }.allergies)

        runBlocking { app.dossier.submit() }
        runBlocking { app.sync() }
        val review = app.dossier.review
        assertNotNull(review)
        assertTrue(review!!.status in listOf(ReviewStatus.SENT, ReviewStatus.PENDING), "${review.status}")
        app.announcements.clear()
        Screenshots.save("11-dossier-valide") { CartableApp(app, live = false) }
    }

    @Test
    fun `a document is picked, queued offline, then sent when the network is back`() {
        Relay(Demo.server.url).use { network ->
            val platform = TestPlatform()
            val app = Demo.signedIn(Demo.JULIEN, network.url, platform)
            runBlocking { app.show(Screen.Documents) }
            network.offline = true
            runBlocking { app.sync() }
            platform.picked = TestPlatform.pdf("attestation-assurance.pdf")
            runBlocking { app.documents.pick() }
            app.documents.kind = app.documents.kinds.first { it.code == "insurance" }.code
            app.documents.validUntil = "31/08/2027"
            runBlocking { app.documents.queue() }
            assertEquals(null, app.documents.error)
            val queued = app.documents.documents.single { it.fileName == "attestation-assurance.pdf" }
            assertTrue(queued.state is SupportingDocumentState.WaitingToSend, "${queued.state}")
            Screenshots.save("12-document-en-attente") { CartableApp(app, live = false) }

            network.offline = false
            runBlocking { app.sync() }
            val sent = app.documents.documents.single { it.fileName == "attestation-assurance.pdf" }
            assertEquals(SupportingDocumentState.Sent, sent.state)
            Screenshots.save("13-document-envoye") { CartableApp(app, live = false) }
        }
    }

    @Test
    fun `an information is read, unread ones first, and a download opens offline once fetched`() {
        Relay(Demo.server.url).use { network ->
            val platform = TestPlatform()
            val app = Demo.signedIn(Demo.CAMILLE, network.url, platform)
            runBlocking { app.show(Screen.Information) }
            val page = app.information.page!!
            assertTrue(page.unread > 0uL, "the demo has a message to read")
            Screenshots.save("14-informations") { CartableApp(app, live = false) }
            val first = page.messages.first()
            assertFalse(first.read)
            runBlocking { app.information.open(first.id) }
            assertTrue(app.information.page!!.messages.single { it.id == first.id }.read)
            runBlocking { app.show(Screen.Information) }
            Screenshots.save("15-information-lue") { CartableApp(app, live = false) }

            runBlocking { app.show(Screen.Downloads) }
            val download = app.downloads.downloads.first()
            runBlocking { app.downloads.open(download.id) }
            assertEquals(1, platform.opened.size)
            assertTrue(platform.opened.single().readBytes().decodeToString(0, 4) == "%PDF")
            network.offline = true
            runBlocking { app.downloads.open(download.id) }
            assertEquals(2, platform.opened.size, "the kept copy opens offline")
            runBlocking { app.sync() }
            Screenshots.save("16-telechargements-hors-connexion") { CartableApp(app, live = false) }
        }
    }

    @Test
    fun `a weekly pattern is booked for two children over a period, the closed days listed`() {
        val app = Demo.signedIn()
        runBlocking { app.show(Screen.Period) }
        assertTrue(app.period.chosenChildren.size >= 2, "every child is chosen at first")
        val start = clearWeek(2)
        app.period.setPeriod(start, start.plusDays(11))
        app.period.toggleDay("garderie-matin", 1u)
        app.period.toggleDay("garderie-matin", 4u)
        runBlocking { app.period.submit() }
        val outcome = app.period.outcome
        assertNotNull(outcome, app.period.error)
        assertTrue(outcome!!.summary.contains("réservations demandées"), outcome.summary)
        Screenshots.save("17-reserver-une-periode", heightDp = 1300) { CartableApp(app, live = false) }
    }

    @Test
    fun `an absence is declared on a booked day and decided by the structure`() {
        val app = Demo.signedIn()
        runBlocking { app.planning.showWeek(clearWeek(3)) }
        val lea = app.planning.children.single { it.firstName == "Léa" }
        runBlocking { app.planning.selectChild(lea.id) }
        val day = cells(app).first { isFree(it) && it.activityId == "cantine" }
        runBlocking { app.planning.tap(day) }
        runBlocking { app.sync() }
        runBlocking { app.show(Screen.Absences) }
        app.absences.childId = lea.id
        app.absences.from = LocalDate.parse(day.date).let { "%02d/%02d/%04d".format(it.dayOfMonth, it.monthValue, it.year) }
        app.absences.reason = "rendez-vous médical"
        runBlocking { app.absences.submit() }
        assertTrue(app.absences.outcome!!.startsWith("1 réservation signalée"), app.absences.outcome)
        app.announcements.clear()
        Screenshots.save("18-absence") { CartableApp(app, live = false) }
        runBlocking { app.sync() }
        runBlocking { app.show(Screen.Planning) }
        val cell = cells(app).single { it.date == day.date && it.activityId == "cantine" }
        assertNotNull(cell.absence?.outcome, "decided by the server")
        assertEquals(CellState.Accepted, cell.state)
        Screenshots.save("19-absence-decidee") { CartableApp(app, live = false) }
    }

    @Test
    fun `invoices show the balance and a PDF kept for offline reading`() {
        val platform = TestPlatform()
        val app = Demo.signedIn(platform = platform)
        runBlocking { app.show(Screen.Invoices) }
        assertNotNull(app.invoices.balance)
        val invoice = app.invoices.invoices.firstOrNull()
        if (invoice != null) {
            runBlocking { app.invoices.openPdf(invoice.number) }
            assertEquals(1, platform.opened.size)
            assertTrue(app.invoices.invoices.first { it.number == invoice.number }.localPdf != null)
        }
        Screenshots.save("20-mes-factures") { CartableApp(app, live = false) }
    }

    @Test
    fun `the account lists devices, exports the data, and logs out after a question`() {
        val platform = TestPlatform()
        val app = Demo.signedIn(platform = platform)
        runBlocking { app.show(Screen.Account) }
        assertTrue(app.account.devices!!.any { it.current })
        runBlocking { app.account.export() }
        assertTrue(platform.export.length() > 0, "${app.account.exportMessage}")
        val told = app.account.exportMessage.orEmpty()
        assertTrue(told.startsWith("Vos données sont prêtes : mes-donnees.zip") && "/" !in told, told)
        Screenshots.save("21-mon-compte", heightDp = 1400) { CartableApp(app, live = false) }
        app.account.confirmLogout = true
        Screenshots.save("22-deconnexion") { CartableApp(app, live = false) }
        runBlocking { app.account.logout() }
        assertFalse(app.signedIn)
    }
}
