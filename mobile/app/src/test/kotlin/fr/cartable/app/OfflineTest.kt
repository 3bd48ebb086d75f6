package fr.cartable.app

import fr.cartable.app.Demo.cell
import fr.cartable.app.Demo.cells
import fr.cartable.app.Demo.clearWeek
import fr.cartable.app.Demo.isFree
import fr.cartable.app.ui.CartableApp
import fr.cartable.mobile.CellState
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class OfflineTest {

    @Test
    fun `offline, a booking waits under the banner, back online it is decided and announced`() {
        Relay(Demo.server.url).use { network ->
            val app = Demo.signedIn(Demo.JULIEN, network.url)
            val hugo = app.planning.children.single { it.firstName == "Hugo" }
            runBlocking { app.planning.selectChild(hugo.id) }
            // The first week with two evening sessions to book (past the school holidays).
            for (n in 1..8) {
                runBlocking { app.planning.showWeek(clearWeek(n)) }
                if (cells(app).count { isFree(it) && it.activityId == "garderie-soir" } >= 2) break
            }

            network.offline = true
            runBlocking { app.sync() }
            assertFalse(app.online, "the sync failed: the phone knows it is offline")
            val free = cells(app).filter { isFree(it) && it.activityId == "garderie-soir" }.take(2)
            assertEquals(2, free.size)
            free.forEach { runBlocking { app.planning.tap(it) } }
            assertTrue(app.pendingChanges > 0)
            free.forEach { assertTrue(cell(app, it.date, it.activityId).state is CellState.Pending) }
            runBlocking { app.sync() }
            assertFalse(app.online)
            Screenshots.save("08-hors-connexion") { CartableApp(app, live = false) }

            network.offline = false
            runBlocking { app.sync() }
            assertTrue(app.online)
            assertEquals(0L, app.pendingChanges)
            free.forEach { assertEquals(CellState.Accepted, cell(app, it.date, it.activityId).state) }
            assertEquals(2, app.announcements.count { it.contains("Hugo") }, "${app.announcements}")
            Screenshots.save("09-retour-en-ligne") { CartableApp(app, live = false) }
        }
    }
}
