package fr.cartable.app

import fr.cartable.app.Demo.cell
import fr.cartable.app.Demo.cells
import fr.cartable.app.Demo.clearWeek
import fr.cartable.app.Demo.isFree
import fr.cartable.app.ui.CartableApp
import fr.cartable.mobile.CellState
import java.time.LocalDate
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test

class LoginAndPlanningTest {

    @Test
    fun `a parent signs in on the login screen, a wrong password is told in French`() {
        val app = Demo.newApp()
        app.login.login = Demo.CAMILLE
        app.login.password = "pas-le-bon"
        runBlocking { app.login.submit() }
        assertFalse(app.signedIn)
        assertEquals("Identifiant ou mot de passe incorrect.", app.login.error)
        Screenshots.save("01-connexion-refusee") { CartableApp(app, live = false) }

        app.login.password = Demo.PASSWORD
        runBlocking { app.login.submit() }
        assertTrue(app.signedIn, "${app.login.error}")
        assertEquals("", app.login.password, "the password is not kept on screen")
        assertTrue(app.planning.children.map { it.firstName }.containsAll(listOf("Léa", "Hugo")))
        Screenshots.save("02-mon-planning") { CartableApp(app, live = false) }
        Screenshots.save("03-menu") { CartableApp(app, live = false, drawerOpen = true) }
    }

    @Test
    fun `a week is booked for two children, pending, then accepted and announced after a sync`() {
        val app = Demo.signedIn()
        val monday = clearWeek(0)
        runBlocking { app.planning.showWeek(monday) }
        var booked = 0
        for (child in app.planning.children.filter { it.firstName in listOf("Léa", "Hugo") }) {
            runBlocking { app.planning.selectChild(child.id) }
            for (c in cells(app).filter { isFree(it) && it.activityId == "cantine" }) {
                runBlocking { app.planning.tap(c) }
                assertTrue(cell(app, c.date, c.activityId).state is CellState.Pending)
                booked++
            }
        }
        assertTrue(booked >= 4, "the canteen runs at least four days a week for each child: $booked")
        assertTrue(app.pendingChanges > 0, "the bookings wait for a sync")
        assertTrue(app.planning.prices.isNotEmpty(), "the canteen's price is shown")
        Screenshots.save("04-semaine-en-attente") { CartableApp(app, live = false) }

        runBlocking { app.sync() }
        assertTrue(app.online)
        assertEquals(0L, app.pendingChanges)
        val accepted = cells(app).filter { it.activityId == "cantine" && it.state == CellState.Accepted }
        assertTrue(accepted.size >= 4, "Hugo's week is accepted: ${cells(app).map { it.state }}")
        assertTrue(app.announcements.any { it.contains("Hugo") }, "${app.announcements}")
        Screenshots.save("05-semaine-acceptee") { CartableApp(app, live = false) }
    }

    @Test
    fun `a day the server refuses is explained, asked anyway, then shown refused with its reason`() {
        val app = Demo.signedIn()
        val earliest = clearWeek(0)
        val day = runBlocking { app.cartable.catalogue() }.closures
            .filter { it.activities.isEmpty() || "cantine" in it.activities }
            .flatMap { c ->
                generateSequence(LocalDate.parse(c.from)) { it.plusDays(1) }
                    .takeWhile { !it.isAfter(LocalDate.parse(c.to)) }.toList()
            }
            .firstOrNull { !it.isBefore(earliest) && it.dayOfWeek.value in listOf(1, 2, 4, 5) }
        assumeTrue(day != null, "no closure ahead in the demo calendar")
        runBlocking { app.planning.showWeek(day!!) }
        val lea = app.planning.children.single { it.firstName == "Léa" }
        runBlocking { app.planning.selectChild(lea.id) }
        val closed = cell(app, day.toString(), "cantine")
        assertTrue(closed.state is CellState.Closed, "${closed.state}")

        // The cell of a closed day does not book on a tap; the app asks the library anyway
        // as a parent insisting would, through the refusal dialog.
        runBlocking { app.planning.tap(closed.copy(canBook = true)) }
        val refusal = app.planning.refusal
        assertNotNull(refusal)
        assertTrue(refusal!!.reason.isNotBlank())
        Screenshots.save("06-reservation-refusee-par-le-telephone") { CartableApp(app, live = false) }

        runBlocking { app.planning.insist() }
        assertTrue(cell(app, day.toString(), "cantine").state is CellState.Pending)
        runBlocking { app.sync() }
        val refused = cell(app, day.toString(), "cantine").state
        assertEquals(CellState.Refused(refusal.reason), refused)
        assertTrue(app.announcements.any { it.startsWith("Réservation refusée") }, "${app.announcements}")
        Screenshots.save("07-refus-avec-motif") { CartableApp(app, live = false) }
    }
}
