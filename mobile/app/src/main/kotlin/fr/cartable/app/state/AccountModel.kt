package fr.cartable.app.state

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import fr.cartable.app.format.French
import fr.cartable.mobile.Account
import fr.cartable.mobile.CartableException
import fr.cartable.mobile.Device
import fr.cartable.mobile.reason
import java.io.File

/** "Mon compte": this account's devices, password, export of the family's data, logout. */
class AccountModel(private val app: AppModel) {
    var account by mutableStateOf<Account?>(null)
        private set
    var devices by mutableStateOf<List<Device>?>(null)
        private set
    var devicesError by mutableStateOf<String?>(null)
        private set
    var currentPassword by mutableStateOf("")
    var newPassword by mutableStateOf("")
    var newPasswordAgain by mutableStateOf("")
    var passwordMessage by mutableStateOf<String?>(null)
        private set
    var exportMessage by mutableStateOf<String?>(null)
        private set
    var confirmLogout by mutableStateOf(false)

    suspend fun load() {
        account = runCatching { app.cartable.account() }.getOrNull()
    }

    /** The devices signed in to this account (needs the network). */
    suspend fun loadDevices() {
        try {
            devices = app.cartable.devices()
            devicesError = null
        } catch (e: CartableException.Network) {
            devicesError = "Hors connexion : la liste des appareils s'affiche quand le réseau revient."
        } catch (e: CartableException) {
            devicesError = e.reason
        }
    }

    suspend fun revoke(deviceId: String) {
        try {
            app.cartable.revokeDevice(deviceId)
            app.announcements += "Appareil déconnecté."
        } catch (e: CartableException) {
            app.report(e)
        }
        loadDevices()
    }

    suspend fun changePassword() {
        passwordMessage = when {
            newPassword != newPasswordAgain -> "Les deux mots de passe ne sont pas identiques."
            else -> try {
                app.cartable.changePassword(currentPassword, newPassword)
                currentPassword = ""
                newPassword = ""
                newPasswordAgain = ""
                "Mot de passe changé. Vos autres appareils devront se reconnecter."
            } catch (e: CartableException.Network) {
                "Hors connexion : le mot de passe se change avec du réseau."
            } catch (e: CartableException) {
                e.reason
            }
        }
    }

    /** "Exporter mes données": an archive of everything the structure holds about the family. */
    suspend fun export() {
        exportMessage = try {
            val summary = app.cartable.exportData(app.platform.exportFile())
            "Vos données sont prêtes : ${File(summary.path).name} (${French.size(summary.sizeBytes)}). " +
                "Dans l'archive, le fichier resume.html se lit dans un navigateur."
        } catch (e: CartableException.Network) {
            "Hors connexion : l'export se fait avec du réseau."
        } catch (e: CartableException) {
            e.reason
        }
    }

    /** "Se déconnecter": this phone's data is wiped, changes not sent are lost. */
    suspend fun logout() {
        confirmLogout = false
        try {
            app.cartable.logout()
        } catch (e: CartableException) {
            app.report(e)
        }
        app.signOutLocally()
    }
}
